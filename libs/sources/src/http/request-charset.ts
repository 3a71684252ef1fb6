/**
 * The charsets Flume's JSONHandler accepts (UTF-8, UTF-16 and UTF-32, with their BE/LE forms), with
 * Java's rules for byte order marks: `UTF-16` and `UTF-32` read a BOM when there is one and are
 * big-endian otherwise; `UTF-16` writes a BOM before big-endian text, the others write none.
 * Malformed input decodes to U+FFFD, as Java's readers do.
 */
export type JsonCharset = 'UTF-8' | 'UTF-16' | 'UTF-16BE' | 'UTF-16LE' | 'UTF-32' | 'UTF-32BE' | 'UTF-32LE';

const NAMES: Readonly<Record<string, JsonCharset>> = {
  'utf-8': 'UTF-8',
  utf8: 'UTF-8',
  'utf-16': 'UTF-16',
  utf16: 'UTF-16',
  'utf-16be': 'UTF-16BE',
  'utf-16le': 'UTF-16LE',
  'utf-32': 'UTF-32',
  utf32: 'UTF-32',
  'utf-32be': 'UTF-32BE',
  'utf-32le': 'UTF-32LE',
};

const REPLACEMENT = 0xfffd;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with each lone surrogate replaced by U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** The `charset` parameter of a Content-Type header (unquoted), or undefined when it has none. */
export function charsetParameter(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = part.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

/** The JSON charset a charset name stands for (any case), or undefined when it is not one of them. */
export function jsonCharset(name: string): JsonCharset | undefined {
  return Object.hasOwn(NAMES, name.trim().toLowerCase()) ? NAMES[name.trim().toLowerCase()] : undefined;
}

/** Decodes `bytes` in `charset`. */
export function decodeText(bytes: Buffer, charset: JsonCharset): string {
  switch (charset) {
    case 'UTF-8':
      return bytes.toString('utf8');
    case 'UTF-16': {
      if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes.subarray(2), false);
      if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes.subarray(2), true);
      return decodeUtf16(bytes, true);
    }
    case 'UTF-16BE':
      return decodeUtf16(bytes, true);
    case 'UTF-16LE':
      return decodeUtf16(bytes, false);
    case 'UTF-32': {
      if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xfeff) return decodeUtf32(bytes.subarray(4), true);
      if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xfeff) return decodeUtf32(bytes.subarray(4), false);
      return decodeUtf32(bytes, true);
    }
    case 'UTF-32BE':
      return decodeUtf32(bytes, true);
    case 'UTF-32LE':
      return decodeUtf32(bytes, false);
  }
}

/** Encodes `text` in `charset`; a lone surrogate becomes U+FFFD. */
export function encodeText(text: string, charset: JsonCharset): Buffer {
  switch (charset) {
    case 'UTF-8':
      return Buffer.from(text, 'utf8');
    case 'UTF-16':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), encodeUtf16(text, true)]);
    case 'UTF-16BE':
      return encodeUtf16(text, true);
    case 'UTF-16LE':
      return encodeUtf16(text, false);
    case 'UTF-32':
    case 'UTF-32BE':
      return encodeUtf32(text, true);
    case 'UTF-32LE':
      return encodeUtf32(text, false);
  }
}

function decodeUtf16(bytes: Buffer, bigEndian: boolean): string {
  const even = bytes.length - (bytes.length % 2);
  const units = Buffer.from(bytes.subarray(0, even));
  if (bigEndian) units.swap16();
  const text = wellFormed(units.toString('utf16le'));
  return even === bytes.length ? text : text + String.fromCharCode(REPLACEMENT);
}

function encodeUtf16(text: string, bigEndian: boolean): Buffer {
  const bytes = Buffer.from(wellFormed(text), 'utf16le');
  return bigEndian ? bytes.swap16() : bytes;
}

function decodeUtf32(bytes: Buffer, bigEndian: boolean): string {
  const parts: string[] = [];
  let points: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const cp = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    points.push(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? REPLACEMENT : cp);
    if (points.length === 4096) {
      parts.push(String.fromCodePoint(...points));
      points = [];
    }
  }
  if (bytes.length % 4 !== 0) points.push(REPLACEMENT);
  parts.push(String.fromCodePoint(...points));
  return parts.join('');
}

function encodeUtf32(text: string, bigEndian: boolean): Buffer {
  const whole = wellFormed(text);
  const out = Buffer.allocUnsafe(whole.length * 4);
  let at = 0;
  for (const ch of whole) {
    const cp = ch.codePointAt(0)!;
    if (bigEndian) out.writeUInt32BE(cp, at);
    else out.writeUInt32LE(cp, at);
    at += 4;
  }
  return out.subarray(0, at);
}
