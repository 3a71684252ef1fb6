import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HandlerResult } from './http-handler.js';
import { jsonHandler } from './json-handler.js';

const parse = (body: string | Buffer, contentType?: string): HandlerResult =>
  jsonHandler({ body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, contentType, query: new URLSearchParams() });

function events(result: HandlerResult): { headers: Record<string, string>; body: string }[] {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.events.map((e) => ({ headers: { ...e.headers }, body: e.body.toString('utf8') }));
}

function refused(result: HandlerResult, status: 400 | 415, reason: RegExp): void {
  assert.ok(!result.ok, 'refused');
  assert.equal(result.status, status);
  assert.match(result.reason, reason);
}

test('an array of events: headers and bodies as sent, in order; headers may be left out; other fields ignored', () => {
  const body = JSON.stringify([
    { headers: { host: 'web01', level: 'info' }, body: 'first' },
    { body: 'second', extra: 42 },
    { headers: {}, body: '' },
  ]);
  assert.deepEqual(events(parse(body, 'application/json')), [
    { headers: { host: 'web01', level: 'info' }, body: 'first' },
    { headers: {}, body: 'second' },
    { headers: {}, body: '' },
  ]);
  assert.deepEqual(events(parse('[]')), [], 'an empty array is an empty batch');
});

test('unicode bodies and headers are kept, in UTF-8 by default', () => {
  const text = 'héllo wörld ✓ 日本語 😀';
  const result = parse(JSON.stringify([{ headers: { 'ключ': 'значение 😀' }, body: text }]));
  assert.ok(result.ok);
  assert.deepEqual(result.events[0]!.body, Buffer.from(text, 'utf8'));
  assert.equal(result.events[0]!.headers['ключ'], 'значение 😀');
  assert.deepEqual(events(parse('[{"body":"\\u00e9\\ud83d\\ude00"}]'))[0]!.body, 'é😀', 'JSON escapes are decoded');
});

test('the request charset decodes the JSON and encodes each body (UTF-16, UTF-32), as Flume does', () => {
  const json = JSON.stringify([{ headers: { k: 'v' }, body: 'né 😀' }]);
  const le = parse(Buffer.from(json, 'utf16le'), 'application/json; charset=UTF-16LE');
  assert.ok(le.ok);
  assert.deepEqual(le.events[0]!.body, Buffer.from('né 😀', 'utf16le'));
  assert.deepEqual(le.events[0]!.headers, { k: 'v' });
  const be = Buffer.from(json, 'utf16le').swap16();
  const utf16 = parse(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'application/json;charset="utf-16"');
  assert.ok(utf16.ok);
  assert.deepEqual(utf16.events[0]!.body, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('né 😀', 'utf16le').swap16()]), 'UTF-16 bodies carry a BOM, as Java writes them');
  const utf32 = Buffer.alloc([...json].length * 4);
  [...json].forEach((ch, i) => utf32.writeUInt32BE(ch.codePointAt(0)!, i * 4));
  const u32 = parse(utf32, 'application/json; charset=utf-32');
  assert.ok(u32.ok);
  assert.equal(u32.events[0]!.body.length, 4 * 4, 'four code points of four bytes');
  assert.equal(u32.events[0]!.body.readUInt32BE(12), 0x1f600);
  refused(parse(json, 'application/json; charset=ISO-8859-1'), 415, /charset "ISO-8859-1" is not supported: use UTF-8, UTF-16 or UTF-32/);
});

test('malformed JSON is a bad request with a short reason', () => {
  refused(parse('[{"body": "x"'), 400, /^the body is not valid JSON/);
  refused(parse(''), 400, /not valid JSON/);
  refused(parse('not json at all'), 400, /not valid JSON/);
  refused(parse(Buffer.from([0xff, 0xfe, 0x00, 0x5b])), 400, /not valid JSON/);
  const long = parse(`[${'x'.repeat(10_000)}]`);
  assert.ok(!long.ok && long.reason.length < 200, 'the reason does not echo the body');
});

test('each wrong shape is a bad request naming the event and the field', () => {
  refused(parse('{"body": "x"}'), 400, /must be a JSON array of events/);
  refused(parse('"text"'), 400, /must be a JSON array/);
  refused(parse('null'), 400, /must be a JSON array/);
  refused(parse('[{"body": "a"}, 3]'), 400, /^event 1: must be an object/);
  refused(parse('[null]'), 400, /^event 0: must be an object/);
  refused(parse('[["body"]]'), 400, /^event 0: must be an object/);
  refused(parse('[{"headers": {"k": "v"}}]'), 400, /^event 0: "body" is missing/);
  refused(parse('[{"body": 42}]'), 400, /^event 0: "body" must be a string/);
  refused(parse('[{"body": null}]'), 400, /^event 0: "body" must be a string/);
  refused(parse('[{"body": {"text": "x"}}]'), 400, /"body" must be a string/);
  refused(parse('[{"headers": ["a"], "body": "x"}]'), 400, /^event 0: "headers" must be an object of strings/);
  refused(parse('[{"headers": "k=v", "body": "x"}]'), 400, /"headers" must be an object of strings/);
  refused(parse('[{"headers": {"n": 1}, "body": "x"}]'), 400, /^event 0: header "n" must be a string/);
  refused(parse('[{"headers": {"n": null}, "body": "x"}]'), 400, /header "n" must be a string/);
  refused(parse('[{"headers": {"n": {"deep": "x"}}, "body": "x"}]'), 400, /header "n" must be a string/);
  refused(parse(`[{"headers": {"${'k'.repeat(5000)}": true}, "body": "x"}]`), 400, /^event 0: header "k{60}\.\.\." must be a string$/);
});

test('a header named __proto__ is an ordinary header', () => {
  const result = parse('[{"headers": {"__proto__": "x", "constructor": "y"}, "body": "b"}]');
  assert.ok(result.ok);
  const headers = result.events[0]!.headers;
  assert.deepEqual(Object.keys(headers), ['__proto__', 'constructor']);
  assert.equal(headers['__proto__'], 'x');
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
});
