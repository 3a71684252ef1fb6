import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '@sluice/core';
import { parseCommand } from './cli-args.js';
import { envVarsFlag } from './run-agent.js';

test('-DpropertiesImplementation turns on ${NAME} substitution for Flume’s resolver class only', () => {
  const base = ['check', '-n', 'a1', '-f', 'a.properties'];
  assert.equal(envVarsFlag(parseCommand(base)), false);
  assert.equal(envVarsFlag(parseCommand(['-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties', ...base])), true);
  assert.equal(envVarsFlag(parseCommand([...base.slice(0, 1), '-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties', ...base.slice(1)])), true);
  assert.throws(
    () => envVarsFlag(parseCommand(['-DpropertiesImplementation=com.example.Props', ...base])),
    (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_USAGE' && /com\.example\.Props is not supported/.test(err.message),
  );
});
