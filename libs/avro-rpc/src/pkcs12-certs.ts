import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual, X509Certificate } from 'node:crypto';
import { passwordProblem, storeError, type StoreRef } from './key-material.js';

/**
 * Reads the trusted certificates of a PKCS#12 truststore (what `keytool -importcert -storetype
 * PKCS12` or `openssl pkcs12 -export -nokeys` write). Node's TLS loads a PKCS#12 only when it holds
 * a private key, so certificate-only stores are read here: the DER structure is walked, the MAC is
 * verified when present, and certificate bags are decrypted (PBES2/PBKDF2 with AES-CBC, or the
 * legacy PKCS#12 PBE with 3DES; RC2 needs OpenSSL's legacy provider and is reported with a
 * remedy). Returns the certificates as PEM. Every failure is SLUICE_ERR_CONFIG naming `store`.
 */
export function readPkcs12Certificates(der: Buffer, password: string, store: StoreRef): Buffer[] {
  try {
    return new Pkcs12Reader(der, password).certificates();
  } catch (err) {
    if (err instanceof WrongPassword) throw storeError(store, passwordProblem(store, 'PKCS12', password), err);
    if (err instanceof Pkcs12Problem) throw storeError(store, err.message, err.cause);
    throw storeError(store, `corrupt PKCS12 file (${(err as Error).message})`, err);
  }
}

/** A store this reader understands the structure of but cannot use; the message is for the operator. */
class Pkcs12Problem extends Error {}

/** The password fails the integrity check or does not decrypt the certificates. */
class WrongPassword extends Error {}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1Des3: '1.2.840.113549.1.12.1.3',
  pbeSha1Rc2_128: '1.2.840.113549.1.12.1.5',
  pbeSha1Rc2_40: '1.2.840.113549.1.12.1.6',
} as const;

const HASHES: Record<string, { name: string; size: number; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', size: 20, block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', size: 32, block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', size: 48, block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', size: 64, block: 128 },
};

const HMACS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const AES_CBC: Record<string, string> = {
  '2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
};

/** One DER element: its tag and where its content lies in the buffer. */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

class Pkcs12Reader {
  constructor(
    private readonly buf: Buffer,
    private readonly password: string,
  ) {}

  certificates(): Buffer[] {
    const pfx = this.children(this.read(0, this.buf.length, 0x30));
    if (pfx.length < 2) throw new Error('not a PKCS12 structure');
    const authSafe = this.children(pfx[1]!);
    if (this.oid(authSafe[0]!) !== OID.data) throw new Error('only password-integrity PKCS12 stores are supported');
    const authSafeBytes = this.octets(this.explicit(authSafe[1]!));
    if (pfx[2]) this.verifyMac(pfx[2], authSafeBytes);

    const out: Buffer[] = [];
    const inner = new Pkcs12Reader(authSafeBytes, this.password);
    for (const info of inner.children(inner.read(0, authSafeBytes.length, 0x30))) {
      const [type, content] = inner.children(info);
      const kind = inner.oid(type!);
      let safeContents: Buffer;
      if (kind === OID.data) safeContents = inner.octets(inner.explicit(content!));
      else if (kind === OID.encryptedData) safeContents = inner.decryptData(inner.explicit(content!));
      else continue; // enveloped (public-key) data: not used by keytool or openssl for stores
      out.push(...new Pkcs12Reader(safeContents, this.password).certBags());
    }
    return out;
  }

  private certBags(): Buffer[] {
    const out: Buffer[] = [];
    for (const bag of this.children(this.read(0, this.buf.length, 0x30))) {
      const [id, value] = this.children(bag);
      if (this.oid(id!) !== OID.certBag) continue; // keys and secrets are not needed for trust
      const [certType, certValue] = this.children(this.explicit(value!));
      if (this.oid(certType!) !== OID.x509Certificate) continue;
      const der = this.octets(this.explicit(certValue!));
      out.push(Buffer.from(new X509Certificate(der).toString()));
    }
    return out;
  }

  private verifyMac(macData: Tlv, content: Buffer): void {
    const [digestInfo, saltTlv, iterTlv] = this.children(macData);
    const [algId, digest] = this.children(digestInfo!);
    const hash = HASHES[this.oid(this.children(algId!)[0]!)];
    if (!hash) throw new Pkcs12Problem('the PKCS12 file uses an unsupported MAC algorithm');
    const salt = this.octets(saltTlv!);
    const iterations = iterTlv ? this.integer(iterTlv) : 1;
    const key = pkcs12Kdf(hash, bmpPassword(this.password), salt, iterations, 3, hash.size);
    const mac = createHmac(hash.name, key).update(content).digest();
    const expected = this.octets(digest!);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw new WrongPassword('the integrity check failed');
  }

  private decryptData(encryptedData: Tlv): Buffer {
    const [, eci] = this.children(encryptedData);
    const [, algId, content] = this.children(eci!);
    const [algOid, params] = this.children(algId!);
    const alg = this.oid(algOid!);
    // encryptedContent is [0] IMPLICIT OCTET STRING (primitive 0x80, or constructed 0xa0 in BER).
    const data = this.buf.subarray(content!.start, content!.end);
    if (alg === OID.pbes2) return this.pbes2(params!, data);
    if (alg === OID.pbeSha1Des3) return this.legacyPbe(params!, data, 'des-ede3-cbc', 24);
    if (alg === OID.pbeSha1Rc2_40 || alg === OID.pbeSha1Rc2_128) {
      const bits = alg === OID.pbeSha1Rc2_40 ? 40 : 128;
      try {
        return this.legacyPbe(params!, data, bits === 40 ? 'rc2-40-cbc' : 'rc2-cbc', bits / 8);
      } catch (err) {
        if (err instanceof WrongPassword) throw err;
        throw new Pkcs12Problem(
          `the PKCS12 file encrypts its certificates with RC2-${bits}, which this OpenSSL does not offer; rewrite it with a ` +
            'current keytool (keytool -importkeystore -srckeystore OLD.p12 -srcstoretype PKCS12 -destkeystore NEW.p12 ' +
            '-deststoretype PKCS12) or openssl pkcs12 without -legacy',
          { cause: err },
        );
      }
    }
    throw new Pkcs12Problem(`the PKCS12 file uses an unsupported encryption (${alg})`);
  }

  private pbes2(params: Tlv, data: Buffer): Buffer {
    const [kdf, scheme] = this.children(params);
    const [kdfOid, kdfParams] = this.children(kdf!);
    if (this.oid(kdfOid!) !== OID.pbkdf2) throw new Pkcs12Problem('the PKCS12 file uses a key derivation other than PBKDF2');
    const kp = this.children(kdfParams!);
    const salt = this.octets(kp[0]!);
    const iterations = this.integer(kp[1]!);
    let prf = 'sha1';
    for (const extra of kp.slice(2)) {
      if (extra.tag === 0x30) prf = HMACS[this.oid(this.children(extra)[0]!)] ?? '';
    }
    const [schemeOid, ivTlv] = this.children(scheme!);
    const cipher = AES_CBC[this.oid(schemeOid!)];
    if (!cipher || !prf) throw new Pkcs12Problem('the PKCS12 file uses an unsupported PBES2 cipher or PRF');
    const keyLength = Number(cipher.split('-')[1]) / 8;
    const key = pbkdf2Sync(Buffer.from(this.password, 'utf8'), salt, iterations, keyLength, prf);
    return decrypt(cipher, key, this.octets(ivTlv!), data);
  }

  private legacyPbe(params: Tlv, data: Buffer, cipher: string, keyLength: number): Buffer {
    const [saltTlv, iterTlv] = this.children(params);
    const salt = this.octets(saltTlv!);
    const iterations = this.integer(iterTlv!);
    const sha1 = HASHES['1.3.14.3.2.26']!;
    const password = bmpPassword(this.password);
    const key = pkcs12Kdf(sha1, password, salt, iterations, 1, keyLength);
    const iv = pkcs12Kdf(sha1, password, salt, iterations, 2, 8);
    createCipheriv(cipher, key, iv); // throws early when the cipher is not available
    return decrypt(cipher, key, iv, data);
  }

  // --- DER ---

  private read(pos: number, limit: number, expectTag?: number): Tlv & { next: number } {
    if (pos + 2 > limit) throw new Error('truncated DER');
    const tag = this.buf[pos]!;
    if ((tag & 0x1f) === 0x1f) throw new Error('unsupported DER tag');
    let len = this.buf[pos + 1]!;
    let at = pos + 2;
    if (len === 0x80) throw new Error('indefinite-length (BER) encoding is not supported');
    if (len > 0x80) {
      const n = len - 0x80;
      if (n > 4 || at + n > limit) throw new Error('bad DER length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + this.buf[at + i]!;
      at += n;
    }
    if (at + len > limit) throw new Error('DER element past its parent');
    if (expectTag !== undefined && tag !== expectTag) throw new Error(`unexpected DER tag 0x${tag.toString(16)}`);
    return { tag, start: at, end: at + len, next: at + len };
  }

  private children(parent: Tlv): Tlv[] {
    const out: Tlv[] = [];
    for (let pos = parent.start; pos < parent.end; ) {
      const t = this.read(pos, parent.end);
      out.push(t);
      pos = t.next;
    }
    return out;
  }

  /** The single element inside an [n] EXPLICIT wrapper. */
  private explicit(wrapper: Tlv): Tlv {
    return this.read(wrapper.start, wrapper.end);
  }

  private octets(t: Tlv): Buffer {
    if (t.tag === 0x04) return this.buf.subarray(t.start, t.end);
    if (t.tag === 0x24) return Buffer.concat(this.children(t).map((c) => this.octets(c))); // BER-constructed
    throw new Error(`expected an OCTET STRING, got tag 0x${t.tag.toString(16)}`);
  }

  private integer(t: Tlv): number {
    if (t.tag !== 0x02 || t.end - t.start > 6) throw new Error('bad INTEGER');
    let n = 0;
    for (let i = t.start; i < t.end; i++) n = n * 256 + this.buf[i]!;
    return n;
  }

  private oid(t: Tlv): string {
    if (t.tag !== 0x06) throw new Error('expected an OBJECT IDENTIFIER');
    const parts: number[] = [];
    let value = 0;
    for (let i = t.start; i < t.end; i++) {
      const b = this.buf[i]!;
      value = value * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) {
        if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
        else parts.push(value);
        value = 0;
      }
    }
    return parts.join('.');
  }
}

function decrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (err) {
    throw new WrongPassword('the password does not decrypt the store', { cause: err });
  }
}

/** The password as PKCS#12 wants it for its own KDF: UTF-16BE with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  if (password.length === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1 = key, 2 = IV, 3 = MAC key). */
function pkcs12Kdf(
  hash: { name: string; size: number; block: number },
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: number,
  length: number,
): Buffer {
  const v = hash.block;
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += hash.size) {
    let A = createHash(hash.name).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash.name).update(A).digest();
    blocks.push(A);
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % A.length]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}
