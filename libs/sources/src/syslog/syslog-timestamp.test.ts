import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRfc3164Timestamp, parseRfc5424Timestamp } from './syslog-timestamp.js';

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime();

test('RFC 3164: the current year, a year back for a date more than a month ahead, a year on for one more than eleven months behind', () => {
  const now = local(2026, 1, 2, 12);
  assert.equal(parseRfc3164Timestamp('Jan  2 11:00:00', now), local(2026, 1, 2, 11));
  assert.equal(parseRfc3164Timestamp('Dec 31 23:59:59', now), local(2025, 12, 31, 23, 59, 59));
  assert.equal(parseRfc3164Timestamp('Jan 20 00:00:00', now), local(2026, 1, 20), 'within a month ahead: this year');
  const lateInYear = local(2026, 12, 31, 12);
  assert.equal(parseRfc3164Timestamp('Jan  1 00:00:01', lateInYear), local(2027, 1, 1, 0, 0, 1));
});

test('RFC 3164: an unknown month, a day out of range or a bad time gives no timestamp', () => {
  const now = local(2026, 6, 1);
  for (const text of ['Foo  1 00:00:00', 'Apr 31 00:00:00', 'Jan  1 24:00:00', 'Jan 1 00:00']) {
    assert.equal(parseRfc3164Timestamp(text, now), undefined, text);
  }
});

test('RFC 5424: Z, offsets, fractions of one to six digits, and a time without offset in the agent zone', () => {
  assert.equal(parseRfc5424Timestamp('2026-12-08T10:20:30Z'), Date.UTC(2026, 11, 8, 10, 20, 30));
  assert.equal(parseRfc5424Timestamp('2026-12-08T10:20:30.5+01:30'), Date.UTC(2026, 11, 8, 8, 50, 30, 500));
  assert.equal(parseRfc5424Timestamp('2026-12-08T10:20:30.123456Z'), Date.UTC(2026, 11, 8, 10, 20, 30, 123));
  assert.equal(parseRfc5424Timestamp('2026-12-08T10:20:30'), local(2026, 12, 8, 10, 20, 30));
  assert.equal(parseRfc5424Timestamp('2026-13-08T10:20:30Z'), undefined);
  assert.equal(parseRfc5424Timestamp('2026-12-08 10:20:30Z'), undefined);
});
