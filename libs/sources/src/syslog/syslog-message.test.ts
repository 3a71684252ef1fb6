import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseKeepFields, type KeepFields } from './keep-fields.js';
import { parseSyslogMessage, SYSLOG_STATUS_HEADER } from './syslog-message.js';

const NONE: KeepFields = { all: false, fields: new Set() };
const NOW = new Date(2026, 11, 8, 12, 0, 0).getTime();

function parse(text: string, options: { keep?: string; cut?: boolean } = {}) {
  const keep = parseKeepFields(options.keep ?? 'none');
  assert.ok(typeof keep !== 'string', String(keep));
  const event = parseSyslogMessage(Buffer.from(text, 'utf8'), options.cut ?? false, { keepFields: keep, now: NOW });
  return { headers: event.headers, body: event.body.toString('utf8') };
}

test('RFC 3164: Facility, Severity, priority, timestamp in the agent time zone this year, host; body after the host', () => {
  const { headers, body } = parse('<13>Dec  8 10:20:30 web-1.example.com app[42]: hello world');
  assert.deepEqual(headers, {
    Facility: '1',
    Severity: '5',
    priority: '13',
    timestamp: String(new Date(2026, 11, 8, 10, 20, 30).getTime()),
    host: 'web-1.example.com',
  });
  assert.equal(body, 'app[42]: hello world');
});

test('RFC 5424: version, a UTC timestamp to the millisecond, host; the body keeps app, procid, msgid and SD', () => {
  const { headers, body } = parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [a@1 b="c"] An entry');
  assert.deepEqual(headers, {
    Facility: '20',
    Severity: '5',
    priority: '165',
    version: '1',
    timestamp: String(Date.UTC(2003, 9, 11, 22, 14, 15, 3)),
    host: 'mymachine.example.com',
  });
  assert.equal(body, 'evntslog - ID47 [a@1 b="c"] An entry');
});

test('RFC 5424: an offset is applied, microseconds are cut to milliseconds, a nil host gives no host header', () => {
  const { headers } = parse('<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - msg');
  assert.equal(headers.timestamp, String(Date.UTC(2003, 7, 24, 12, 14, 15, 0)));
  assert.equal(headers.host, '192.0.2.1');
  const nil = parse('<34>1 - - su - - - msg');
  assert.equal(nil.headers.timestamp, undefined);
  assert.equal(nil.headers.host, undefined);
  assert.equal(nil.body, 'su - - - msg');
});

test('an impossible date gives no timestamp header but the message is still parsed', () => {
  const { headers, body } = parse('<34>1 2003-02-30T05:14:15Z host app - - - msg');
  assert.equal(headers.timestamp, undefined);
  assert.equal(headers.host, 'host');
  assert.equal(body, 'app - - - msg');
});

test('no PRI, an empty PRI or a PRI of four digits: Invalid, Facility and Severity 0, the raw message as body', () => {
  for (const text of ['plain text line', '<>1 2003-10-11T22:14:15Z h a', '<1234>1 2003-10-11T22:14:15Z h a', '<1a>x']) {
    const { headers, body } = parse(text);
    assert.deepEqual(headers, { Facility: '0', Severity: '0', [SYSLOG_STATUS_HEADER]: 'Invalid' }, text);
    assert.equal(body, text);
  }
});

test('a PRI without a recognised header: Facility and Severity, the raw message as body, no status', () => {
  const { headers, body } = parse('<14>just some text');
  assert.deepEqual(headers, { Facility: '1', Severity: '6' });
  assert.equal(body, '<14>just some text');
});

test('a cut message is marked Incomplete unless it is Invalid', () => {
  assert.equal(parse('<13>Dec  8 10:20:30 h msg', { cut: true }).headers[SYSLOG_STATUS_HEADER], 'Incomplete');
  assert.equal(parse('rest of a long line', { cut: true }).headers[SYSLOG_STATUS_HEADER], 'Invalid');
});

test('keepFields all (or true) keeps the raw message as the body', () => {
  const text = '<13>1 2026-12-08T10:20:30Z h app - - - msg';
  assert.equal(parse(text, { keep: 'all' }).body, text);
  assert.equal(parse(text, { keep: 'TRUE' }).body, text);
  assert.equal(parse(text, { keep: 'false' }).body, 'app - - - msg');
});

test('keepFields with some fields puts those back before the message, as they were sent', () => {
  const rfc5424 = '<13>1 2026-12-08T10:20:30Z h app - - - msg';
  assert.equal(parse(rfc5424, { keep: 'priority version timestamp hostname' }).body, rfc5424);
  assert.equal(parse(rfc5424, { keep: 'hostname priority' }).body, '<13>h app - - - msg');
  const rfc3164 = '<13>Dec  8 10:20:30 web tag: msg';
  assert.equal(parse(rfc3164, { keep: 'timestamp hostname' }).body, 'Dec  8 10:20:30 web tag: msg');
  assert.equal(parse(rfc3164, { keep: 'version' }).body, 'tag: msg', 'no version in RFC 3164');
});

test('keepFields refuses an unknown word', () => {
  assert.match(String(parseKeepFields('priority host')), /"host" is not one of/);
  assert.deepEqual(parseKeepFields(' None '), NONE);
});

test('any bytes: never throws; without a PRI the event is Invalid with the raw bytes; with one, Facility*8+Severity is the PRI', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => Buffer.from(`<${s}`))), fc.boolean(), (bytes, cut) => {
      const raw = Buffer.from(bytes);
      const event = parseSyslogMessage(raw, cut, { keepFields: NONE, now: NOW });
      const pri = /^<(\d{1,3})>/.exec(raw.toString('latin1'));
      if (pri === null) {
        assert.equal(event.headers[SYSLOG_STATUS_HEADER], 'Invalid');
        assert.ok(event.body.equals(raw));
      } else {
        assert.equal(Number(event.headers.Facility) * 8 + Number(event.headers.Severity), Number(pri[1]));
        assert.equal(event.headers[SYSLOG_STATUS_HEADER], cut ? 'Incomplete' : undefined);
        assert.ok(raw.subarray(raw.length - event.body.length).equals(event.body), 'the body is the end of the message');
      }
    }),
  );
});
