import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createAvroClient, readTruststore, tlsVersionRange, type AvroClient, type ClientTlsOptions } from '@sluice/avro-rpc';
import { parseProperties } from '@sluice/config';
import { encodeBatch, SluiceError, type SluiceEvent } from '@sluice/core';

/** `sluice avro-client`: what to send, where, and how. */
export interface AvroClientCommand {
  readonly host: string;
  readonly port: number;
  /** Files to send, in order; empty = stdin. */
  readonly files: readonly string[];
  readonly batchSize: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'none' | 'deflate';
  readonly compressionLevel: number;
  readonly tls: ClientTlsOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const AVRO_CLIENT_HELP = `sluice avro-client — send lines to an avro source, like flume-ng avro-client

Usage:
  sluice avro-client -H HOST -p PORT [-F FILE | --dirname DIR] [options]

Each line (without its \\n or \\r\\n) becomes one event; the lines of FILE, of every file
in DIR, or of stdin. Exits 0 once every event was answered OK, 1 otherwise (a FAILED
answer, a timeout, an unreachable host), 2 on a usage error.

Options:
  -H, --host HOST               the avro source's host name or address
  -p, --port PORT               its port
  -F, --filename FILE           send FILE's lines (default: stdin)
      --dirname DIR             send the lines of every file in DIR, in name order
  -R, --headerFile FILE         headers for every event, from a properties file (k = v)
      --header K=V              a header for every event (repeatable; wins over -R)
      --batch-size N            events per appendBatch call (default 100)
      --compression-type TYPE   none (default) or deflate: must match the source
      --compression-level N     zlib level 0-9 with deflate (default 6)
      --ssl                     connect with TLS
      --trust-all-certs         accept any server certificate
      --truststore FILE         CA certificates to trust: JKS, PKCS12 or PEM
      --truststore-password PW  password of a PKCS12 truststore
      --truststore-type TYPE    JKS, PKCS12 or PEM (default: taken from the file)
      --no-verify-hostname      do not check that the certificate names HOST
      --connect-timeout MS      (default 20000)
      --request-timeout MS      per call (default 20000)
  -c, --conf DIR                accepted and ignored (Flume's configuration directory)
`;

const OPTIONS = {
  host: { type: 'string', short: 'H' },
  port: { type: 'string', short: 'p' },
  filename: { type: 'string', short: 'F' },
  dirname: { type: 'string' },
  headerFile: { type: 'string', short: 'R' },
  header: { type: 'string', multiple: true },
  'batch-size': { type: 'string' },
  'compression-type': { type: 'string' },
  'compression-level': { type: 'string' },
  ssl: { type: 'boolean' },
  'trust-all-certs': { type: 'boolean' },
  truststore: { type: 'string' },
  'truststore-password': { type: 'string' },
  'truststore-type': { type: 'string' },
  'no-verify-hostname': { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  conf: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_USAGE', `avro-client: ${message}`);
}

function intOption(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw usage(`--${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return Number(raw);
}

function headerFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_CONFIG_READ', `avro-client: cannot read the header file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = parseProperties(text);
  const bad = parsed.issues.filter((i) => i.severity === 'error');
  if (bad.length > 0) throw usage(`${path}:${bad[0]!.line}: ${bad[0]!.message}`);
  return Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]));
}

function dirFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_CONFIG_READ', `avro-client: cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return names.map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
}

function tlsOptions(v: Record<string, unknown>): ClientTlsOptions | undefined {
  if (!v['ssl']) {
    for (const k of ['trust-all-certs', 'truststore', 'no-verify-hostname']) if (v[k] !== undefined) throw usage(`--${k} needs --ssl`);
    return undefined;
  }
  const common = { ...tlsVersionRange(undefined), verifyHostname: !v['no-verify-hostname'] };
  if (v['trust-all-certs']) return { ...common, trustAll: true };
  const path = v['truststore'] as string | undefined;
  if (path === undefined) return common;
  const type = v['truststore-type'] as string | undefined;
  return { ...common, ca: readTruststore({ path, password: v['truststore-password'] as string | undefined, type, key: 'truststore' }).ca };
}

/** Parses the arguments after `avro-client`; 'help' for -h. Throws SLUICE_ERR_USAGE. */
export function parseAvroClientArgs(args: readonly string[]): AvroClientCommand | 'help' {
  let v: Record<string, unknown>;
  try {
    v = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
  if (v['help']) return 'help';
  const host = v['host'] as string | undefined;
  if (host === undefined || host === '') throw usage('missing -H/--host: the avro source to send to');
  if (v['port'] === undefined) throw usage('missing -p/--port: the avro source port');
  const port = intOption(v['port'] as string, 'port', 0, 1, 65535);
  if (v['filename'] !== undefined && v['dirname'] !== undefined) throw usage('give -F/--filename or --dirname, not both');
  const files = v['dirname'] !== undefined ? dirFiles(v['dirname'] as string) : v['filename'] !== undefined ? [v['filename'] as string] : [];
  const compression = (v['compression-type'] as string | undefined) ?? 'none';
  if (compression !== 'none' && compression !== 'deflate') throw usage(`--compression-type must be none or deflate, not "${compression}"`);
  const headers: Record<string, string> = v['headerFile'] !== undefined ? headerFile(v['headerFile'] as string) : {};
  for (const h of (v['header'] as string[] | undefined) ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw usage(`--header needs KEY=VALUE, not "${h}"`);
    headers[h.slice(0, eq)] = h.slice(eq + 1);
  }
  return {
    host,
    port,
    files,
    batchSize: intOption(v['batch-size'] as string | undefined, 'batch-size', 100, 1, 1_000_000),
    headers,
    compression,
    compressionLevel: intOption(v['compression-level'] as string | undefined, 'compression-level', 6, 0, 9),
    tls: tlsOptions(v),
    connectTimeoutMs: intOption(v['connect-timeout'] as string | undefined, 'connect-timeout', 20_000, 1, 3_600_000),
    requestTimeoutMs: intOption(v['request-timeout'] as string | undefined, 'request-timeout', 20_000, 1, 3_600_000),
  };
}

/** Sends batches one call at a time; throws SluiceError on anything but OK. */
class BatchSender {
  events = 0;
  batches = 0;
  private pending: SluiceEvent[] = [];

  constructor(
    private readonly client: AvroClient,
    private readonly cmd: AvroClientCommand,
  ) {}

  async add(body: Buffer): Promise<void> {
    this.pending.push({ headers: this.cmd.headers, body });
    if (this.pending.length >= this.cmd.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const where = `${this.cmd.host}:${this.cmd.port}`;
    let status;
    try {
      status = await this.client.appendBatch(encodeBatch(batch));
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_DELIVERY', `${(err as Error).message} (${this.events} events were accepted before)`, { cause: err });
    }
    if (status !== 'OK') {
      throw new SluiceError('SLUICE_ERR_DELIVERY', `${where} answered ${status} to a batch of ${batch.length} events (${this.events} events were accepted before)`);
    }
    this.events += batch.length;
    this.batches++;
  }
}

/** Splits a stream into lines (\n, with a \r before it dropped) and hands each body to `line`. */
async function eachLine(input: Readable, line: (body: Buffer) => Promise<void>): Promise<void> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      await line(Buffer.from(data.subarray(start, end)));
      start = nl + 1;
    }
    rest = Buffer.from(data.subarray(start));
  }
  if (rest.length > 0) await line(rest[rest.length - 1] === 13 ? rest.subarray(0, -1) : rest);
}

/**
 * Sends every line of the command's files (or of `stdin`) to the avro source; resolves with the
 * totals once every batch was answered OK. Rejects with a SluiceError naming the first failure.
 */
export async function runAvroClient(cmd: AvroClientCommand, stdin: Readable): Promise<{ events: number; batches: number }> {
  const client = createAvroClient({
    host: cmd.host,
    port: cmd.port,
    compression: cmd.compression,
    compressionLevel: cmd.compressionLevel,
    tls: cmd.tls,
    connectTimeoutMs: cmd.connectTimeoutMs,
    requestTimeoutMs: cmd.requestTimeoutMs,
  });
  const sender = new BatchSender(client, cmd);
  try {
    if (cmd.files.length === 0) await eachLine(stdin, (b) => sender.add(b));
    for (const file of cmd.files) {
      const stream = createReadStream(file, { highWaterMark: 1 << 20 });
      try {
        await eachLine(stream, (b) => sender.add(b));
      } catch (err) {
        if (err instanceof SluiceError) throw err;
        throw new SluiceError('SLUICE_ERR_CONFIG_READ', `avro-client: cannot read ${file}: ${(err as Error).message}`, { cause: err });
      } finally {
        stream.destroy();
      }
    }
    await sender.flush();
  } finally {
    await client.close();
  }
  return { events: sender.events, batches: sender.batches };
}
