/**
 * Headers as Java's `Map.toString()` prints them (`{k1=v1, k2=v2}`), which Flume's logger sink
 * and header_and_text serializer write. Sluice keeps insertion order (Flume's HashMap order is
 * a hash order).
 */
export function javaMapString(headers: Readonly<Record<string, string>>): string {
  let out = '{';
  let first = true;
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    out += (first ? '' : ', ') + key + '=' + headers[key];
    first = false;
  }
  return out + '}';
}
