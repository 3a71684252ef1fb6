import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textEvent } from '@sluice/core';
import { configFor, fakeContext } from '../test-support.js';
import { regexFilterInterceptor } from './regex-filter-interceptor.js';

const bodies = (events: { body: Buffer }[]) => events.map((e) => e.body.toString());
const batch = () => ['GET /index', 'POST /login', 'GET /health', 'héllo wörld'].map((b) => textEvent(b));

test('keeps only the events whose body contains a match; excludeEvents drops them instead', () => {
  const keep = regexFilterInterceptor.create(configFor(regexFilterInterceptor, { regex: '^GET ' }), fakeContext());
  assert.deepEqual(bodies(keep.intercept(batch())), ['GET /index', 'GET /health']);
  const drop = regexFilterInterceptor.create(configFor(regexFilterInterceptor, { regex: 'health|login', excludeEvents: true }), fakeContext());
  assert.deepEqual(bodies(drop.intercept(batch())), ['GET /index', 'héllo wörld']);
});

test('the default regex keeps everything; the body is matched as UTF-8', () => {
  const all = regexFilterInterceptor.create(configFor(regexFilterInterceptor, {}), fakeContext());
  assert.equal(all.intercept(batch()).length, 4);
  const utf8 = regexFilterInterceptor.create(configFor(regexFilterInterceptor, { regex: 'wörld$' }), fakeContext());
  assert.deepEqual(bodies(utf8.intercept(batch())), ['héllo wörld']);
});

test('a batch whose every event is dropped becomes empty', () => {
  const none = regexFilterInterceptor.create(configFor(regexFilterInterceptor, { regex: 'nothing matches this' }), fakeContext());
  assert.deepEqual(none.intercept(batch()), []);
});

test('an invalid regex is a config error', () => {
  assert.throws(() => configFor(regexFilterInterceptor, { regex: '(' }), /regex "\(": not a valid regular expression/);
});
