import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildConfig, escapeConvictKey, unescapeConvictKey } from './convict-config.js';

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

describe('buildConfig', () => {
  it('keeps a key and its dotted children side by side, with defaults', () => {
    const config = buildConfig(
      [
        { key: 'sink.pathManager', spec: { format: ['DEFAULT', 'ROLLTIME'], default: 'DEFAULT', doc: '' } },
        { key: 'sink.pathManager.prefix', spec: { format: 'string', default: '', doc: '' } },
        { key: 'sink.pathManager.extension', spec: { format: 'string', default: 'log', doc: '' } },
        { key: 'keep-alive', spec: { format: 'int', default: 3, doc: '' } },
      ],
      new Map<string, unknown>([
        ['sink.pathManager', 'ROLLTIME'],
        ['sink.pathManager.prefix', 'out-'],
      ]),
    );
    assert.deepEqual(config, {
      'sink.pathManager': 'ROLLTIME',
      'sink.pathManager.prefix': 'out-',
      'sink.pathManager.extension': 'log',
      'keep-alive': 3,
    });
  });

  it('coerces string defaults through the strict formats', () => {
    const config = buildConfig(
      [
        { key: 'n', spec: { format: 'int', default: '12', doc: '' } },
        { key: 'l', spec: { format: 'list-ws', default: 'a b', doc: '' } },
        { key: 'b', spec: { format: 'bool', default: 'TRUE', doc: '' } },
      ],
      new Map(),
    );
    assert.deepEqual(config, { n: 12, l: ['a', 'b'], b: true });
  });

  it('throws on a default its own format refuses (a spec bug)', () => {
    assert.throws(() => buildConfig([{ key: 'n', spec: { format: 'int', default: '10abc', doc: '' } }], new Map()), /must be an integer/);
    assert.throws(() => buildConfig([{ key: 'n', spec: { format: 'int', default: 0, doc: '', min: 1 } }], new Map()), /at least 1/);
  });

  it('accepts null defaults for optional keys', () => {
    assert.deepEqual(buildConfig([{ key: 'shell', spec: { format: 'string', default: null, doc: '' } }], new Map()), { shell: null });
  });
});
