import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { convictConfig, escapeConvictKey, unescapeConvictKey } from './convict-config.js';

describe('escapeConvictKey', () => {
  it('leaves no dot and round-trips any key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (key) => {
        const name = escapeConvictKey(key);
        return !name.includes('.') && unescapeConvictKey(name) === key;
      }),
      { numRuns: 300 },
    );
  });

  it('keeps distinct keys distinct', () => {
    assert.notEqual(escapeConvictKey('a.b'), escapeConvictKey('a%002eb'));
  });
});

describe('convictConfig', () => {
  it('keeps a key and its dotted children side by side, with defaults', () => {
    const r = convictConfig(
      [
        { key: 'sink.pathManager', spec: { format: ['DEFAULT', 'ROLLTIME'], default: 'DEFAULT', doc: '' } },
        { key: 'sink.pathManager.prefix', spec: { format: 'string', default: '', doc: '' } },
        { key: 'sink.pathManager.extension', spec: { format: 'string', default: 'log', doc: '' } },
        { key: 'keep-alive', spec: { format: 'int', default: 3, doc: '' } },
      ],
      new Map([
        ['sink.pathManager', 'rolltime'],
        ['sink.pathManager.prefix', 'out-'],
      ]),
    );
    assert.deepEqual(r, {
      ok: true,
      config: { 'sink.pathManager': 'ROLLTIME', 'sink.pathManager.prefix': 'out-', 'sink.pathManager.extension': 'log', 'keep-alive': 3 },
    });
  });

  it('coerces the text of values and string defaults through the strict formats', () => {
    const r = convictConfig(
      [
        { key: 'n', spec: { format: 'int', default: '12', doc: '' } },
        { key: 'l', spec: { format: 'list-ws', default: 'a b', doc: '' } },
        { key: 'b', spec: { format: 'bool', default: 'TRUE', doc: '' } },
        { key: 'c', spec: { format: 'list-comma', default: [], doc: '' } },
      ],
      new Map([['c', ' x , y ']]),
    );
    assert.deepEqual(r, { ok: true, config: { n: 12, l: ['a', 'b'], b: true, c: ['x', 'y'] } });
  });

  it('collects every refused value with its key and what was expected, never guessing', () => {
    const r = convictConfig(
      [
        { key: 'n', spec: { format: 'int', default: 1, doc: '', min: 1 } },
        { key: 'm', spec: { format: 'int', default: 1, doc: '', min: 1 } },
        { key: 'b', spec: { format: 'bool', default: false, doc: '' } },
        { key: 'e', spec: { format: ['A', 'B'], default: 'A', doc: '' } },
        { key: 'ok', spec: { format: 'port', default: 1, doc: '' } },
      ],
      new Map([
        ['n', '10abc'],
        ['m', '0'],
        ['b', 'yes'],
        ['e', 'C'],
        ['ok', '80'],
      ]),
    );
    assert.deepEqual(r, {
      ok: false,
      problems: [
        { key: 'n', expected: 'an integer of at least 1' },
        { key: 'm', expected: 'an integer of at least 1' },
        { key: 'b', expected: 'true or false' },
        { key: 'e', expected: 'one of A, B (any case)' },
      ],
    });
  });

  it('accepts null defaults for optional keys', () => {
    assert.deepEqual(convictConfig([{ key: 'shell', spec: { format: 'string', default: null, doc: '' } }], new Map()), { ok: true, config: { shell: null } });
  });
});
