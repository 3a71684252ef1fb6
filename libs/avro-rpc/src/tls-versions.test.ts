import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tlsVersionRange } from './tls-versions.js';

test('Flume protocol lists become a Node version range', () => {
  assert.deepEqual(tlsVersionRange(undefined), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  assert.deepEqual(tlsVersionRange(undefined, ['SSLv3', 'TLSv1.3']), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.deepEqual(tlsVersionRange(['TLSv1.1', 'TLSv1.2', 'SSLv2Hello']), { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.2' });
  assert.deepEqual(tlsVersionRange(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], ['TLSv1']), { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.3' });
  for (const [inc, exc, why] of [
    [['TLSv1.1', 'TLSv1.3'], [], /contiguous/],
    [['TLSv1.2'], ['TLSv1.2'], /no TLS version/],
    [['TLSv9'], [], /unknown TLS protocol TLSv9/],
  ] as const) {
    assert.throws(() => tlsVersionRange(inc, exc), (err: unknown) => (err as { code?: string }).code === 'SLUICE_ERR_CONFIG' && why.test((err as Error).message));
  }
});
