import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '@sluice/core';
import { createIpFilter, normalizeAddress, parseIpFilterRules } from './ip-filter.js';

test('rules parse as Flume writes them; bad rules name themselves', () => {
  const rules = parseIpFilterRules('allow:ip:127.*, allow:name:localhost ,deny:ip:*');
  assert.deepEqual(
    rules.map((r) => [r.allow, r.kind, r.pattern]),
    [
      [true, 'ip', '127.*'],
      [true, 'name', 'localhost'],
      [false, 'ip', '*'],
    ],
  );
  for (const bad of ['permit:ip:1.2.3.4', 'allow:host:x', 'allow:ip:', 'allow', '']) {
    assert.throws(
      () => parseIpFilterRules(bad),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && err.message.includes(`'${bad.trim()}'`),
    );
  }
});

test('the first matching rule decides; no match accepts', async () => {
  const filter = createIpFilter(parseIpFilterRules('deny:ip:10.0.0.1?,allow:ip:10.0.*,deny:ip:192.168.*'), {
    reverse: async () => [],
  });
  assert.equal(await filter('10.0.0.15'), false);
  assert.equal(await filter('10.0.0.5'), true);
  assert.equal(await filter('10.0.10.5'), true);
  assert.equal(await filter('192.168.1.1'), false);
  assert.equal(await filter('::ffff:192.168.1.1'), false, 'IPv4-mapped addresses are matched as IPv4');
  assert.equal(await filter('172.16.0.1'), true, 'no rule matched');
  // `.` is literal, not a regex wildcard.
  const dots = createIpFilter(parseIpFilterRules('deny:ip:10.0.0.1'));
  assert.equal(await dots('10.0.001'), true);
});

test('name rules use the reverse lookup (bounded), and name:localhost matches this host', async () => {
  const lookups: string[] = [];
  const filter = createIpFilter(parseIpFilterRules('allow:name:localhost,allow:name:*.example.COM,deny:ip:*'), {
    reverse: async (a) => {
      lookups.push(a);
      if (a === '203.0.113.9') return ['web1.example.com'];
      if (a === '203.0.113.10') throw new Error('ENOTFOUND');
      return new Promise<string[]>(() => undefined); // never answers
    },
    lookupTimeoutMs: 50,
  });
  assert.equal(await filter('127.0.0.1'), true);
  assert.equal(await filter('203.0.113.9'), true, 'names match case-insensitively');
  assert.equal(await filter('203.0.113.10'), false, 'no name: falls through to deny');
  assert.equal(await filter('203.0.113.11'), false, 'a lookup that hangs counts as no name');
  assert.equal(normalizeAddress('::1'), '::1');
  assert.ok(!lookups.includes('127.0.0.1'), 'localhost needs no lookup');
});
