import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SyslogFramer, type SyslogFrame } from './syslog-framer.js';

const show = (frames: readonly SyslogFrame[]) => frames.map((f) => `${f.bytes.toString('latin1')}${f.cut ? '|cut' : ''}`);

function frame(input: string, eventSize = 100): string[] {
  const framer = new SyslogFramer(eventSize);
  return show([...framer.push(Buffer.from(input, 'latin1')), ...framer.end()]);
}

test('newline-terminated messages; empty lines are skipped; a CR is kept', () => {
  assert.deepEqual(frame('<1>a\n\n<2>b\r\n'), ['<1>a', '<2>b\r']);
});

test('octet-counted frames (RFC 6587), which may hold newlines, mixed with lines', () => {
  assert.deepEqual(frame('5 <1>ab6 <2>c\nd<3>x\n'), ['<1>ab', '<2>c\nd', '<3>x']);
});

test('digits not followed by a space start a line', () => {
  assert.deepEqual(frame('12abc\n3\n'), ['12abc', '3']);
});

test('a line of exactly eventSize bytes is whole; a longer one is cut in pieces of eventSize', () => {
  assert.deepEqual(frame('<1>4567890\n', 10), ['<1>4567890']);
  assert.deepEqual(frame('<1>45678901234567890123\n', 10), ['<1>4567890|cut', '1234567890|cut', '123']);
});

test('an octet-counted frame longer than eventSize is cut the same way', () => {
  assert.deepEqual(frame('15 <1>456789012345<2>x\n', 10), ['<1>4567890|cut', '12345', '<2>x']);
});

test('at the end of the stream: an unterminated line is a message, an unfinished counted frame is cut', () => {
  assert.deepEqual(frame('<1>a\n<2>b'), ['<1>a', '<2>b']);
  assert.deepEqual(frame('20 <1>abc'), ['<1>abc|cut']);
  assert.deepEqual(frame('42'), ['42']);
});

test('however the stream is split into reads, the same frames come out and at most eventSize bytes are held', () => {
  const message = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => `<13>${s.replace(/\n/g, ' ')}\n`),
    fc.string({ minLength: 1, maxLength: 40 }).map((s) => `${Buffer.byteLength(s, 'latin1')} ${s}`),
    fc.constant('\n'),
  );
  fc.assert(
    fc.property(fc.array(message, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 10, max: 30 }), (messages, cuts, eventSize) => {
      const stream = Buffer.from(messages.join(''), 'latin1');
      const whole = frame(messages.join(''), eventSize);
      const framer = new SyslogFramer(eventSize);
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const frames: SyslogFrame[] = [];
      let from = 0;
      for (const to of [...points, stream.length]) {
        frames.push(...framer.push(stream.subarray(from, to)));
        assert.ok(framer.pending <= eventSize + 9);
        from = to;
      }
      frames.push(...framer.end());
      assert.deepEqual(show(frames), whole);
      for (const f of frames) assert.ok(f.bytes.length <= eventSize);
    }),
  );
});
