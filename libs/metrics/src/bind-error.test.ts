import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindError } from './bind-error.js';

function sysError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code });
}

test('each bind failure is SLUICE_ERR_METRICS_PORT with an actionable message and the system error as cause', () => {
  const cases: [string, string, string][] = [
    ['EADDRINUSE', '127.0.0.1', 'metrics port 127.0.0.1:41414 is in use by another process; stop that process or choose another with --metrics-port (or -Dflume.monitoring.port)'],
    ['EACCES', '127.0.0.1', 'metrics port 127.0.0.1:41414 is not allowed for this user (ports below 1024 need privileges); choose another with --metrics-port (or -Dflume.monitoring.port)'],
    ['EADDRNOTAVAIL', '10.9.9.9', 'metrics host 10.9.9.9 is not an address of this machine; bind 127.0.0.1 or a local interface'],
    ['EINVAL', '::1', 'metrics port [::1]:41414 could not be bound (EINVAL); choose another with --metrics-port (or -Dflume.monitoring.port)'],
  ];
  for (const [code, host, message] of cases) {
    const cause = sysError(code);
    const err = bindError(host, 41414, cause);
    assert.equal(err.code, 'SLUICE_ERR_METRICS_PORT');
    assert.equal(err.message, message);
    assert.equal(err.cause, cause);
    assert.equal(err.retriable, false);
  }
});
