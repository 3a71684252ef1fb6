import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ignoredDefines, logLevel, parseCommand } from './cli-args.js';

const agent = (...extra: string[]) => parseCommand(['agent', '-n', 'a1', '-f', 'a1.properties', ...extra]);

test("-Dflume.root.logger=LEVEL,appender sets the level by log4j's names, in any case", () => {
  const cases: [string, string][] = [
    ['TRACE,console', 'trace'],
    ['debug,console', 'debug'],
    ['INFO,LOGFILE', 'info'],
    ['Warn', 'warn'],
    ['ERROR,console', 'error'],
    ['FATAL,console', 'fatal'],
  ];
  for (const [value, level] of cases) assert.equal(logLevel(agent(`-Dflume.root.logger=${value}`)), level, value);
  assert.equal(logLevel(agent()), undefined, 'neither given: the default');
});

test('--log-level wins over -Dflume.root.logger; an unknown level is a usage error', () => {
  assert.equal(logLevel(agent('-Dflume.root.logger=DEBUG,console', '--log-level', 'warn')), 'warn');
  assert.throws(() => logLevel(agent('-Dflume.root.logger=LOUD,console')), { code: 'SLUICE_ERR_USAGE', message: /LOUD.*TRACE, DEBUG, INFO, WARN, ERROR, FATAL/ });
  assert.throws(() => logLevel(agent('--log-level', 'verbose')), { code: 'SLUICE_ERR_USAGE', message: /--log-level must be one of/ });
});

test('-D properties Sluice does not use are listed; the ones it uses are not', () => {
  const cmd = agent(
    '-Dflume.monitoring.type=http',
    '-Dflume.monitoring.port=34545',
    '-Dflume.root.logger=INFO,console',
    '-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties',
    '-Dorg.apache.flume.log.printconfig=true',
    '-Dflume.log.dir=/var/log/flume',
  );
  assert.deepEqual(ignoredDefines(cmd.defines), ['org.apache.flume.log.printconfig', 'flume.log.dir']);
});
