import * as avro from 'avsc';
import { CallReader, malformed } from './call-reader.js';
import { splitIntoBuffers } from './netty-framing.js';
import {
  HANDSHAKE_REQUEST_TYPE,
  HANDSHAKE_RESPONSE_TYPE,
  STRING_TYPE,
  type HandshakeMatch,
  type HandshakeRequest,
  type HandshakeResponse,
} from './protocol.js';

/**
 * Avro IPC call format (Avro spec "Call Format"), hand-written so that a call's parameters stay
 * opaque bytes:
 *
 *   request  = [HandshakeRequest] meta:map<bytes> messageName:string params...
 *   response = [HandshakeResponse] meta:map<bytes> error:boolean (result | union-index error)
 *
 * The handshake is present until a handshake succeeded on the connection (BOTH or CLIENT).
 * Buffers are split the way Avro Java splits them, so the frames are byte-identical to Flume's.
 */

const LONG_TYPE = avro.Type.forSchema('long');
const EMPTY = Buffer.alloc(0);
const EMPTY_META = Buffer.from([0]);
const OK_FLAG = Buffer.from([0]);
const MATCHES: readonly HandshakeMatch[] = ['BOTH', 'CLIENT', 'NONE'];

/** Reads a HandshakeRequest (decoding is hand-written and bounded; encoding uses the avsc type). */
function readHandshakeRequest(r: CallReader): HandshakeRequest {
  const clientHash = r.fixed(16, 'clientHash');
  const clientProtocol = r.branch(2, 'clientProtocol') === 1 ? r.string('clientProtocol') : null;
  const serverHash = r.fixed(16, 'serverHash');
  const meta = r.branch(2, 'handshake meta') === 1 ? r.mapOfBytes('handshake meta') : null;
  return { clientHash, clientProtocol, serverHash, meta };
}

function readHandshakeResponse(r: CallReader): HandshakeResponse {
  const match = MATCHES[r.enumIndex(3, 'match')]!;
  const serverProtocol = r.branch(2, 'serverProtocol') === 1 ? r.string('serverProtocol') : null;
  const serverHash = r.branch(2, 'serverHash') === 1 ? r.fixed(16, 'serverHash') : null;
  const meta = r.branch(2, 'handshake meta') === 1 ? r.mapOfBytes('handshake meta') : null;
  return { match, serverProtocol, serverHash, meta };
}

export interface DecodedRequest {
  readonly handshake: HandshakeRequest | null;
  readonly meta: Record<string, Buffer>;
  /** `""` is a handshake-only ping. */
  readonly message: string;
  /** The parameters as sent, never decoded here. */
  readonly params: Buffer;
}

/**
 * Request buffers as Avro Java's Requestor builds them: one buffer with [handshake] + call meta +
 * message name, then the parameters cut into 8 KiB buffers.
 */
export function encodeRequestBuffers(handshake: HandshakeRequest | null, message: string, params: Buffer): Buffer[] {
  const head = Buffer.concat([
    handshake ? HANDSHAKE_REQUEST_TYPE.toBuffer(handshake) : EMPTY,
    EMPTY_META,
    STRING_TYPE.toBuffer(message),
  ]);
  return [...splitIntoBuffers(head), ...splitIntoBuffers(params)];
}

/** Decodes a request message; throws SLUICE_ERR_PROTOCOL when it is truncated or malformed. */
export function decodeRequest(payload: Buffer, withHandshake: boolean): DecodedRequest {
  const r = new CallReader(payload);
  const handshake = withHandshake ? readHandshakeRequest(r) : null;
  const meta = r.mapOfBytes('call metadata');
  const message = r.string('message name');
  return { handshake, meta, message, params: payload.subarray(r.pos) };
}

/** What a response carries after its handshake: a result, an error, or nothing (handshake only). */
export type ResponseBody =
  | { readonly kind: 'result'; readonly statusIndex: number }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'none' };

/**
 * Response buffers as Avro Java's Responder builds them: [handshake] (an empty buffer once the
 * connection is past its handshake), [call meta], [error flag + result]. A handshake-only
 * response (NONE, or a ping) is the handshake buffer alone.
 */
export function encodeResponseBuffers(handshake: HandshakeResponse | null, body: ResponseBody): Buffer[] {
  const hs = handshake ? splitIntoBuffers(HANDSHAKE_RESPONSE_TYPE.toBuffer(handshake)) : [EMPTY];
  if (body.kind === 'none') return hs;
  const tail =
    body.kind === 'result'
      ? Buffer.concat([OK_FLAG, LONG_TYPE.toBuffer(body.statusIndex)])
      : Buffer.concat([Buffer.from([1, 0]), STRING_TYPE.toBuffer(body.message)]);
  return [...hs, EMPTY_META, ...splitIntoBuffers(tail)];
}

export interface DecodedResponse {
  readonly handshake: HandshakeResponse | null;
  readonly body: ResponseBody;
}

/**
 * Decodes a response. With a handshake whose match is NONE the call was not executed and the
 * body is `none`; a bare handshake (ping) is `none` as well.
 */
export function decodeResponse(payload: Buffer, withHandshake: boolean): DecodedResponse {
  const r = new CallReader(payload);
  let handshake: HandshakeResponse | null = null;
  if (withHandshake) {
    handshake = readHandshakeResponse(r);
    if (handshake.match === 'NONE' || r.remaining === 0) return { handshake, body: { kind: 'none' } };
  }
  r.mapOfBytes('call metadata');
  const flag = r.fixed(1, 'error flag')[0]!;
  let body: ResponseBody;
  if (flag === 0) {
    body = { kind: 'result', statusIndex: r.long('result') };
  } else if (flag === 1) {
    if (r.branch(1, 'error union') !== 0) throw malformed('error union branch');
    body = { kind: 'error', message: r.string('error message') };
  } else {
    throw malformed(`error flag byte ${flag}`);
  }
  if (r.remaining !== 0) throw malformed('trailing bytes after the response');
  return { handshake, body };
}
