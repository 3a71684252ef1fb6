import type { SluiceEvent } from '@sluice/core';
import { javaMapString } from '../java-map.js';

const HEX = '0123456789ABCDEF';

function hex2(b: number): string {
  return HEX[b >> 4]! + HEX[b & 15]!;
}

/**
 * The layout of commons-io `HexDump.dump(data, 0, out, 0)`: per row of 16 bytes, the offset as
 * 8 uppercase hex digits, a space, each byte as 2 hex digits and a space (3 spaces for a missing
 * byte), then the bytes as ASCII (`.` outside 0x20..0x7E), then a newline.
 */
export function hexDump(data: Buffer): string {
  let out = '';
  for (let row = 0; row < data.length; row += 16) {
    const n = Math.min(16, data.length - row);
    out += row.toString(16).toUpperCase().padStart(8, '0') + ' ';
    for (let k = 0; k < 16; k++) out += (k < n ? hex2(data[row + k]!) : '  ') + ' ';
    for (let k = 0; k < n; k++) {
      const b = data[row + k]!;
      out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out += '\n';
  }
  return out;
}

/**
 * Flume's `EventHelper.dumpEvent`: `{ headers:{k=v} body: <hex dump of the first maxBytes> }`,
 * with the first row's `00000000` offset and the final newline removed.
 */
export function dumpEvent(event: SluiceEvent, maxBytes: number): string {
  let body = '';
  const shown = event.body.subarray(0, Math.min(event.body.length, maxBytes));
  if (shown.length > 0) {
    body = hexDump(shown);
    if (body.startsWith('00000000')) body = body.slice(8);
    if (body.endsWith('\n') && body.length > 1) body = body.slice(0, -1);
  }
  return `{ headers:${javaMapString(event.headers)} body:${body} }`;
}
