import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname, networkInterfaces } from 'node:os';
import { hostInterceptor, localHost } from './host-interceptor.js';
import { configFor, events, fakeContext } from '../test-support.js';

const externalIPv4 = Object.values(networkInterfaces())
  .flatMap((list) => list ?? [])
  .filter((a) => a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);

test('useIP = true (default): a non-internal IPv4 of this host, or 127.0.0.1 when there is none', () => {
  const ip = localHost(true);
  if (externalIPv4.length > 0) assert.ok(externalIPv4.includes(ip), `${ip} is one of ${externalIPv4.join(', ')}`);
  else assert.equal(ip, '127.0.0.1');
});

test('sets "host" on every event, overwriting by default, and logs the value once', () => {
  const ctx = fakeContext();
  const interceptor = hostInterceptor.create(configFor(hostInterceptor, {}), ctx);
  const batch = interceptor.intercept(events({ host: 'elsewhere' }, {}));
  assert.deepEqual(
    batch.map((e) => e.headers['host']),
    [localHost(true), localHost(true)],
  );
  assert.equal(ctx.records.filter((r) => r.msg === 'host interceptor resolved the host').length, 1);
});

test('useIP = false uses the host name; preserveExisting = true keeps a value; hostHeader names the header', () => {
  const interceptor = hostInterceptor.create(configFor(hostInterceptor, { useIP: false, preserveExisting: true, hostHeader: 'origin' }), fakeContext());
  const batch = interceptor.intercept(events({ origin: 'kept' }, {}));
  assert.deepEqual(
    batch.map((e) => e.headers['origin']),
    ['kept', hostname()],
  );
});
