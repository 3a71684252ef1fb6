import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from './diagnostic.js';
import { loadAgentConfig } from './load.js';
import { createRegistry } from './registry.js';
import type { Environment } from './substitution.js';
import { fakeFactories } from './test-support/fake-factories.js';

const registry = createRegistry(fakeFactories);
const FILE = 'flume.properties';

const BASE = [
  'a1.sources = r1',
  'a1.channels = c1',
  'a1.sinks = k1',
  'a1.sources.r1.channels = c1',
  'a1.channels.c1.type = memory',
  'a1.sinks.k1.channel = c1',
];

function load(lines: readonly string[], env: Environment, envVars = false, strict = false) {
  const text = [...BASE, ...lines].join('\n');
  const result = loadAgentConfig({ file: FILE, agent: 'a1', registry, text, env, envVars, strict });
  const lineOf = (fragment: string) => [...BASE, ...lines].findIndex((l) => l.includes(fragment)) + 1;
  return { ...result, lineOf };
}

const of = (d: readonly Diagnostic[], severity: Diagnostic['severity']) => d.filter((x) => x.severity === severity).map((x) => `${x.line}: ${x.message}`);

const source = (r: ReturnType<typeof load>) => r.topology!.sources[0]!;
const sink = (r: ReturnType<typeof load>) => r.topology!.sinks[0]!;

describe('${NAME} with -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties', () => {
  const lines = ['a1.sources.r1.type = exec', 'a1.sources.r1.command = tail -F ${LOG_DIR}/app.log', 'a1.sinks.k1.type = ${SINK}', 'a1.sinks.k1.sink.directory = ${OUT}'];

  it('takes every ${NAME} in the agent’s values from the environment, types and paths alike', () => {
    const r = load(lines, { LOG_DIR: '/var/log/app', SINK: 'file_roll', OUT: '/srv/out' }, true);
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.deepEqual(of(r.diagnostics, 'warning'), []);
    assert.equal(source(r).config['command'], 'tail -F /var/log/app/app.log');
    assert.equal(sink(r).type, 'file_roll');
    assert.equal(sink(r).config['sink.directory'], '/srv/out');
  });

  it('substitutes in component lists too', () => {
    const text = ['a1.sources = ${SRC}', 'a1.channels = c1', 'a1.sinks = k1', 'a1.sources.r1.channels = c1', 'a1.sources.r1.type = seq', 'a1.channels.c1.type = memory', 'a1.sinks.k1.type = logger', 'a1.sinks.k1.channel = c1'].join('\n');
    const r = loadAgentConfig({ file: FILE, agent: 'a1', registry, text, env: { SRC: 'r1' }, envVars: true });
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.deepEqual(r.topology!.sources.map((s) => s.name), ['r1']);
  });

  it('an unset variable is an error naming the key, the variable and the line; every one is reported', () => {
    const r = load(lines, { SINK: 'file_roll' }, true);
    assert.equal(r.topology, undefined);
    assert.deepEqual(of(r.diagnostics, 'error'), [
      `${r.lineOf('command')}: a1.sources.r1.command: environment variable LOG_DIR is not set (the value refers to \${LOG_DIR})`,
      `${r.lineOf('sink.directory')}: a1.sinks.k1.sink.directory: environment variable OUT is not set (the value refers to \${OUT})`,
    ]);
    assert.ok(r.diagnostics.every((d) => d.file === FILE));
  });

  it('a variable set to the empty string is set', () => {
    const r = load(['a1.sources.r1.type = exec', 'a1.sources.r1.command = run${SUFFIX}', 'a1.sinks.k1.type = logger'], { SUFFIX: '' }, true);
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(source(r).config['command'], 'run');
  });

  it('leaves other agents’ properties alone', () => {
    const r = load(['a1.sources.r1.type = seq', 'a1.sinks.k1.type = logger', 'a2.sinks.k1.type = ${NOT_SET}'], {}, true);
    assert.deepEqual(of(r.diagnostics, 'error'), []);
  });
});

describe('${NAME} without the flag', () => {
  it('stays as written, as in Flume, with a warning saying how to substitute it', () => {
    const r = load(['a1.sources.r1.type = exec', 'a1.sources.r1.command = tail -F ${LOG_DIR}/app.log', 'a1.sinks.k1.type = logger'], { LOG_DIR: '/var/log/app' });
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(source(r).config['command'], 'tail -F ${LOG_DIR}/app.log');
    assert.deepEqual(of(r.diagnostics, 'warning'), [
      `${r.lineOf('command')}: a1.sources.r1.command: \${LOG_DIR} is kept as written; start the agent with -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties to take it from the environment`,
    ]);
  });
});

describe("Flume 1.10's ${env:NAME} lookups", () => {
  it('are not implemented: kept as written, with a warning naming the alternatives', () => {
    const r = load(['a1.sources.r1.type = exec', 'a1.sources.r1.command = echo ${env:HOME}', 'a1.sinks.k1.type = logger'], { HOME: '/root' }, true);
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(source(r).config['command'], 'echo ${env:HOME}');
    assert.match(of(r.diagnostics, 'warning').join('\n'), /a1\.sources\.r1\.command: \$\{env:HOME\} is kept as written: Sluice does not implement Flume's env: lookups/);
  });
});

describe('config filters', () => {
  const filter = ['a1.configfilters = f1', 'a1.configfilters.f1.type = env'];

  it("replaces ${f1['NAME']}, ${f1[\"NAME\"]} and ${f1[NAME]} with the environment variable", () => {
    const r = load(
      [...filter, 'a1.sources.r1.type = exec', `a1.sources.r1.command = tail -F \${f1['LOG_DIR']}/\${f1["LOG_FILE"]}`, 'a1.sinks.k1.type = file_roll', 'a1.sinks.k1.sink.directory = ${f1[OUT-DIR_1]}'],
      { LOG_DIR: '/var/log', LOG_FILE: 'app.log', 'OUT-DIR_1': '/srv/out' },
    );
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.deepEqual(of(r.diagnostics, 'warning'), []);
    assert.equal(source(r).config['command'], 'tail -F /var/log/app.log');
    assert.equal(sink(r).config['sink.directory'], '/srv/out');
  });

  it("accepts Flume's class name as the type, and keeps the filter's keys out of every component", () => {
    const r = load(
      ['a1.configfilters = env1', 'a1.configfilters.env1.type = org.apache.flume.configfilter.EnvironmentVariableConfigFilter', 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = file_roll', "a1.sinks.k1.sink.directory = ${env1['OUT']}"],
      { OUT: '/srv/out' },
      false,
      true,
    );
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(sink(r).config['sink.directory'], '/srv/out');
    assert.ok(!Object.keys(sink(r).config).some((k) => k.includes('configfilters') || k === 'type'));
  });

  it('an unset variable is an error naming the key, the filter, the variable and the line', () => {
    const r = load([...filter, 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = file_roll', "a1.sinks.k1.sink.directory = ${f1['OUT']}"], {});
    assert.equal(r.topology, undefined);
    assert.deepEqual(of(r.diagnostics, 'error'), [
      `${r.lineOf('sink.directory')}: a1.sinks.k1.sink.directory: config filter f1: environment variable OUT is not set (the value refers to \${f1['OUT']})`,
    ]);
  });

  for (const type of ['hadoop', 'EXTERNAL', 'org.apache.flume.configfilter.HadoopCredentialStoreConfigFilter', 'org.apache.flume.configfilter.ExternalProcessConfigFilter']) {
    it(`type ${type} is refused as not supported, naming env as the supported type`, () => {
      const r = load(['a1.configfilters = f1', `a1.configfilters.f1.type = ${type}`, 'a1.configfilters.f1.credential.provider.path = jceks://file/x', 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = logger'], {});
      assert.equal(r.topology, undefined);
      assert.deepEqual(of(r.diagnostics, 'error'), [
        `${r.lineOf('f1.type')}: a1.configfilters.f1.type: config filter type ${type} is not supported by Sluice; supported: env (org.apache.flume.configfilter.EnvironmentVariableConfigFilter)`,
      ]);
    });
  }

  it('an unknown type, or none, is an error', () => {
    const unknown = load(['a1.configfilters = f1', 'a1.configfilters.f1.type = vault', 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = logger'], {});
    assert.match(of(unknown.diagnostics, 'error').join('\n'), /a1\.configfilters\.f1\.type: unknown config filter type "vault"; supported: env/);
    const none = load(['a1.configfilters = f1', 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = logger'], {});
    assert.deepEqual(of(none.diagnostics, 'error'), [`${none.lineOf('configfilters = f1')}: a1.configfilters.f1.type: missing (every config filter needs a type; supported: env)`]);
  });

  it('a filter defined but not listed is ignored with a warning, and so is a reference to a name that is no filter', () => {
    const r = load(['a1.configfilters.f2.type = env', 'a1.sources.r1.type = exec', "a1.sources.r1.command = echo ${f2['X']}", 'a1.sinks.k1.type = logger'], { X: 'x' });
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(source(r).config['command'], "echo ${f2['X']}");
    assert.deepEqual(of(r.diagnostics, 'warning'), [
      `${r.lineOf('f2.type')}: a1.configfilters.f2: config filter f2 is defined but not listed in a1.configfilters; it is ignored`,
      `${r.lineOf('command')}: a1.sources.r1.command: \${f2['X']} is kept as written: f2 is not a config filter of a1.configfilters`,
    ]);
  });

  it('an env filter has no keys of its own: others are unknown keys (errors under --strict)', () => {
    const lines = [...filter, 'a1.configfilters.f1.prefix = APP_', 'a1.sources.r1.type = seq', 'a1.sinks.k1.type = logger'];
    assert.match(of(load(lines, {}).diagnostics, 'warning').join('\n'), /a1\.configfilters\.f1\.prefix: unknown key for the env config filter/);
    assert.match(of(load(lines, {}, false, true).diagnostics, 'error').join('\n'), /a1\.configfilters\.f1\.prefix: unknown key/);
  });

  it('works together with the -D flag', () => {
    const r = load([...filter, 'a1.sources.r1.type = exec', "a1.sources.r1.command = ${BIN} ${f1['ARG']}", 'a1.sinks.k1.type = logger'], { BIN: '/bin/echo', ARG: 'hi' }, true);
    assert.deepEqual(of(r.diagnostics, 'error'), []);
    assert.equal(source(r).config['command'], '/bin/echo hi');
  });
});
