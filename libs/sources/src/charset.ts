const WIDE_CHARSET = /^(utf-?16|utf-?32|ucs-?2|ucs-?4)/i;

/**
 * Sources split lines on the byte 0x0A and pass bytes through undecoded, which is only right
 * for ASCII-compatible charsets: returns the config error for a wide one (UTF-16/32), else undefined.
 */
export function charsetError(key: string, charset: string): string | undefined {
  if (!WIDE_CHARSET.test(charset.trim())) return undefined;
  return `${key}: ${charset} is not supported (lines are split on the byte 0x0A); use UTF-8, US-ASCII or ISO-8859-1`;
}
