import { openSync, readSync, closeSync } from 'node:fs';

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

/**
 * The store type to read `path` as. A configured type wins. Without one, Flume defaults to JKS,
 * yet a Java 9+ "JKS" keystore also reads PKCS12 files; Sluice does the same by looking at the
 * file: a JKS file is `JKS`, a JCEKS one `JCEKS` (refused with the keytool remedy when read), PEM text is `PEM`,
 * anything else is read as `PKCS12`. An unreadable file returns undefined: reading it reports why.
 */
export function storeTypeOf(path: string, configured: string): string | undefined {
  if (configured.trim() !== '') return configured;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n >= 4 && head.readUInt32BE(0) === JKS_MAGIC) return 'JKS';
    if (n >= 4 && head.readUInt32BE(0) === JCEKS_MAGIC) return 'JCEKS';
    if (head.subarray(0, n).toString('latin1').includes('-----BEGIN')) return 'PEM';
    return 'PKCS12';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
