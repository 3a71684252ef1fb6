import { SluiceError, type Reply, type Request } from '@sluice/core';

/**
 * Wire form of the data-plane messages: frame 0 is a small JSON header (type, tx and scalars),
 * frame 1 (present only for PUT and BATCH) is the encoded batch, carried untouched.
 */
export type Frames = [Buffer] | [Buffer, Buffer];

export function encodeMessage(msg: Request | Reply): Frames {
  if ('batch' in msg) {
    const { batch, ...head } = msg;
    return [Buffer.from(JSON.stringify(head)), batch];
  }
  return [Buffer.from(JSON.stringify(msg))];
}

const REQUEST_TYPES = new Set(['PUT', 'COMMIT', 'ROLLBACK', 'TAKE', 'ACK', 'NACK', 'RENEW']);
const REPLY_TYPES = new Set([
  'PUT_OK',
  'COMMITTED',
  'FULL',
  'ROLLED_BACK',
  'BATCH',
  'ACKED',
  'NACKED',
  'RENEWED',
  'UNKNOWN_TX',
  'LEASE_EXPIRED',
  'ERROR',
]);

const ACK_REPLY_TYPES = new Set(['ACKED', 'LEASE_EXPIRED', 'ERROR']);

function decode(frames: readonly Buffer[], types: Set<string>): Record<string, unknown> {
  let head: unknown;
  try {
    head = JSON.parse(frames[0]?.toString() ?? '');
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_PROTOCOL', 'message header is not JSON', { cause: err });
  }
  if (typeof head !== 'object' || head === null) throw new SluiceError('SLUICE_ERR_PROTOCOL', 'message header is not an object');
  const h = head as Record<string, unknown>;
  if (typeof h['type'] !== 'string' || !types.has(h['type'])) {
    throw new SluiceError('SLUICE_ERR_PROTOCOL', `unexpected message type ${String(h['type'])}`);
  }
  if (typeof h['tx'] !== 'string' || h['tx'].length === 0) throw new SluiceError('SLUICE_ERR_PROTOCOL', 'message has no tx');
  const needsBatch = h['type'] === 'PUT' || h['type'] === 'BATCH';
  if (needsBatch !== (frames.length === 2)) {
    throw new SluiceError('SLUICE_ERR_PROTOCOL', `${h['type']} has ${frames.length} frames`);
  }
  if (needsBatch) h['batch'] = frames[1];
  return h;
}

function num(h: Record<string, unknown>, key: string): void {
  if (typeof h[key] !== 'number' || !Number.isFinite(h[key])) {
    throw new SluiceError('SLUICE_ERR_PROTOCOL', `${String(h['type'])} needs a numeric ${key}`);
  }
}

export function decodeRequest(frames: readonly Buffer[]): Request {
  const h = decode(frames, REQUEST_TYPES);
  if (h['type'] === 'PUT') {
    num(h, 'epoch');
    if (typeof h['commit'] !== 'boolean') throw new SluiceError('SLUICE_ERR_PROTOCOL', 'PUT needs a boolean commit');
    if (h['wait'] !== undefined && (typeof h['wait'] !== 'number' || !(h['wait'] >= 0))) {
      throw new SluiceError('SLUICE_ERR_PROTOCOL', 'PUT has a wait that is not a number of milliseconds');
    }
  }
  if (h['type'] === 'TAKE') {
    num(h, 'max');
    num(h, 'waitMs');
    if (h['ack'] !== undefined && (typeof h['ack'] !== 'string' || h['ack'].length === 0)) {
      throw new SluiceError('SLUICE_ERR_PROTOCOL', 'TAKE has an ack that is not a tx');
    }
  }
  return h as unknown as Request;
}

export function decodeReply(frames: readonly Buffer[]): Reply {
  const h = decode(frames, REPLY_TYPES);
  if (h['type'] === 'FULL') num(h, 'retryAfterMs');
  if (h['type'] === 'BATCH') {
    num(h, 'count');
    const ack = h['ack'] as Record<string, unknown> | undefined;
    if (ack !== undefined && (typeof ack !== 'object' || ack === null || !ACK_REPLY_TYPES.has(String(ack['type'])) || typeof ack['tx'] !== 'string')) {
      throw new SluiceError('SLUICE_ERR_PROTOCOL', 'BATCH has a malformed ack outcome');
    }
  }
  return h as unknown as Reply;
}
