import * as zlib from 'node:zlib';
import { crc32 as simdCrc32 } from '@node-rs/crc32';

/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) with zlib's chaining convention: `crc32(b, crc32(a))`
 * equals the CRC of `a` followed by `b`, and any 32-bit `value` may seed it. Every batch the file
 * channel writes is checksummed, so large inputs go to @node-rs/crc32 (carry-less multiply, 6–8 GB/s
 * here, against 2.2 GB/s for Node's `zlib.crc32`, whose call costs half as much on small inputs).
 * Small inputs use `zlib.crc32` (Node ≥ 20.15 / 22.2), or on older runtimes the table-driven
 * version below. All three compute the same values.
 */
export type Crc32 = (data: Uint8Array, value?: number) => number;

const TABLES = makeTables();

function makeTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  tables.push(t0);
  // Slicing-by-4: table k maps a byte that is k positions further from the end of a word.
  for (let k = 1; k < 4; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (t0[prev[n]! & 0xff]! ^ (prev[n]! >>> 8)) >>> 0;
    tables.push(t);
  }
  return tables;
}

/** The portable implementation (slicing-by-4), exported so tests can compare it with zlib's. */
export function crc32Table(data: Uint8Array, value = 0): number {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~value >>> 0;
  let i = 0;
  const end4 = data.length - (data.length % 4);
  for (; i < end4; i += 4) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    crc = t3[crc & 0xff]! ^ t2[(crc >>> 8) & 0xff]! ^ t1[(crc >>> 16) & 0xff]! ^ t0[crc >>> 24]!;
  }
  for (; i < data.length; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const small: Crc32 = typeof native === 'function' ? (data, value = 0) => native(data, value) : crc32Table;

/** From this many bytes on, the SIMD implementation's higher call cost is repaid (measured: ~600). */
const LARGE = 1024;

/** CRC-32 of `data`, continuing from `value` (0 to start). */
export const crc32: Crc32 = (data, value = 0) => (data.length >= LARGE ? simdCrc32(data, value) >>> 0 : small(data, value));
