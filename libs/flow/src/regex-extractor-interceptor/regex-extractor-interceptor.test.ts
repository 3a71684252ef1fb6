import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textEvent } from '@sluice/core';
import { configFor, fakeContext } from '../test-support.js';
import { regexExtractorInterceptor } from './regex-extractor-interceptor.js';

const MILLIS = 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer';

const run = (values: Record<string, unknown>, body: string, headers: Record<string, string> = {}) =>
  regexExtractorInterceptor.create(configFor(regexExtractorInterceptor, values), fakeContext()).intercept([textEvent(body, headers)])[0]!.headers;

test('groups of the first match go to the serializers\' headers, in order; extra groups are ignored', () => {
  const values = { regex: '(\\w+)=(\\d+) (\\w+)', serializers: ['s1', 's2'], 'serializers.s1.name': 'key', 'serializers.s2.name': 'value' };
  assert.deepEqual(run(values, 'a=1 x b=2 y', { key: 'old' }), { key: 'a', value: '1' });
  assert.deepEqual(run(values, 'no match', { key: 'kept' }), { key: 'kept' });
});

test('the millis serializer turns a matched date into epoch milliseconds (local time, as Joda by default)', () => {
  const values = {
    regex: '^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2})',
    serializers: ['t'],
    'serializers.t.name': 'timestamp',
    'serializers.t.type': MILLIS,
    'serializers.t.pattern': 'yyyy-MM-dd HH:mm',
  };
  assert.deepEqual(run(values, '2026-12-07 23:30 started'), { timestamp: String(new Date(2026, 11, 7, 23, 30).getTime()) });
  assert.deepEqual(run({ ...values, regex: '^(\\S+)' }, 'not-a-date started'), {}, 'a group the pattern refuses sets no header');
});

test('serializer mistakes are config errors', () => {
  assert.throws(() => configFor(regexExtractorInterceptor, { regex: '(a)', serializers: ['s1'] }), /serializers\.s1\.name is required/);
  assert.throws(
    () => configFor(regexExtractorInterceptor, { regex: '(a)', serializers: ['s1'], 'serializers.s1.name': 'h', 'serializers.s1.type': MILLIS }),
    /pattern is required/,
  );
  assert.throws(
    () => configFor(regexExtractorInterceptor, { regex: '(a)', serializers: ['s1'], 'serializers.s1.name': 'h', 'serializers.s1.type': 'com.example.Mine' }),
    /type com\.example\.Mine is not supported/,
  );
  assert.throws(() => configFor(regexExtractorInterceptor, { regex: '(a)', 'serializers.s9.name': 'h' }), /serializer s9 is not listed/);
  assert.throws(() => configFor(regexExtractorInterceptor, {}), /misses required key regex/);
});
