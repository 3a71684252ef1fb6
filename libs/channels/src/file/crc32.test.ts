import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc32, crc32Table } from './crc32.js';

test('the table-driven CRC-32 matches the known check value', () => {
  assert.equal(crc32Table(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32Table(Buffer.alloc(0)), 0);
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('the table-driven CRC-32 equals the one in use (small and large inputs), chained and seeded', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 1500 }), fc.nat(), (a, b, seed) => {
      const s = seed >>> 0;
      assert.equal(crc32Table(a, s), crc32(a, s));
      const joined = Buffer.concat([a, b]);
      assert.equal(crc32Table(b, crc32Table(a)), crc32Table(joined));
      assert.equal(crc32(b, crc32(a, s)), crc32(joined, s));
    }),
  );
});
