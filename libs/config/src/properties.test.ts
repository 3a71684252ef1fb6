import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProperties } from './properties.js';

function entries(text: string) {
  return parseProperties(text).entries.map((e) => [e.key, e.value, e.line]);
}

describe('parseProperties', () => {
  it('accepts the three separators and drops the blanks around them', () => {
    assert.deepEqual(entries('a = 1\nb:2\nc 3\nd\t=\t4\ne :  5\n  f=6'), [
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
      ['d', '4', 4],
      ['e', '5', 5],
      ['f', '6', 6],
    ]);
  });

  it('takes only the first separator; a later = or : belongs to the value', () => {
    assert.deepEqual(entries('a = b = c\nurl: http://x:1/\nk  =:v'), [
      ['a', 'b = c', 1],
      ['url', 'http://x:1/', 2],
      ['k', ':v', 3],
    ]);
  });

  it('skips # and ! comment lines and blank lines, keeping line numbers', () => {
    const text = '# comment\n\n   ! also a comment\n\t\na=1\n  # indented comment\nb=2 # not a comment\n';
    assert.deepEqual(entries(text), [
      ['a', '1', 5],
      ['b', '2 # not a comment', 7],
    ]);
  });

  it('joins continuation lines, dropping the next line leading blanks, at the line of the key', () => {
    const text = 'x=0\nlist = a \\\n       b \\\n  c\ny=1';
    assert.deepEqual(entries(text), [
      ['x', '0', 1],
      ['list', 'a b c', 2],
      ['y', '1', 5],
    ]);
  });

  it('continues only on an odd number of trailing backslashes', () => {
    const text = 'a = one\\\\\nb = two\\\\\\\n  three\n';
    assert.deepEqual(entries(text), [
      ['a', 'one\\', 1],
      ['b', 'two\\three', 2],
    ]);
  });

  it('never treats a continuation line as a comment, but does not continue a comment line', () => {
    assert.deepEqual(entries('a = x\\\n  # y\n# c \\\nb = z'), [
      ['a', 'x# y', 1],
      ['b', 'z', 4],
    ]);
  });

  it('drops a backslash at the very end of the file', () => {
    assert.deepEqual(entries('a = b\\'), [['a', 'b', 1]]);
  });

  it('handles \\r\\n and \\r line ends', () => {
    assert.deepEqual(entries('a=1\r\nb=2\rc=3\r\n'), [
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
    ]);
  });

  it('decodes \\uXXXX, \\t \\n \\r \\f and \\\\, and drops the backslash of other escapes', () => {
    assert.deepEqual(entries('a = \\u0041\\u00e9\\t\\n\\r\\f\\\\\\q'), [['a', 'Aé\t\n\r\f\\q', 1]]);
  });

  it('keeps escaped =, : and spaces in keys', () => {
    assert.deepEqual(entries('a\\=b = 1\nc\\:d:2\ne\\ f 3'), [
      ['a=b', '1', 1],
      ['c:d', '2', 2],
      ['e f', '3', 3],
    ]);
  });

  it('trims values at both ends as Flume does', () => {
    assert.deepEqual(entries('a =   spaced value   \t'), [['a', 'spaced value', 1]]);
  });

  it('reports a malformed \\u escape as an error at its line', () => {
    const r = parseProperties('ok = 1\nbad = \\u12G4');
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.severity, 'error');
    assert.equal(r.issues[0]!.line, 2);
    assert.match(r.issues[0]!.message, /malformed \\uXXXX/);
  });

  it('lets the last duplicate win and warns naming both lines', () => {
    const r = parseProperties('a = 1\nb = 2\na = 3\n');
    assert.deepEqual(
      r.entries.map((e) => [e.key, e.value, e.line]),
      [
        ['b', '2', 2],
        ['a', '3', 3],
      ],
    );
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.severity, 'warning');
    assert.equal(r.issues[0]!.line, 3);
    assert.match(r.issues[0]!.message, /line 1/);
    assert.match(r.issues[0]!.message, /line 3/);
  });

  it('drops empty values with a warning', () => {
    const r = parseProperties('a =\nb = 1\nc =    \nd\n');
    assert.deepEqual(
      r.entries.map((e) => e.key),
      ['b'],
    );
    assert.deepEqual(
      r.issues.map((i) => [i.key, i.line, i.severity]),
      [
        ['a', 1, 'warning'],
        ['c', 3, 'warning'],
        ['d', 4, 'warning'],
      ],
    );
    assert.ok(r.issues.every((i) => i.message.includes('empty value ignored')));
  });

  it('ignores a byte order mark', () => {
    assert.deepEqual(entries('\uFEFFa = 1'), [['a', '1', 1]]);
  });
});
