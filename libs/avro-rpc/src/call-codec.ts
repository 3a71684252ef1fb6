import * as avro from 'avsc';
import { SluiceError } from '@sluice/core';
import { splitIntoBuffers } from './netty-framing.js';
import {
  CALL_META_TYPE,
  HANDSHAKE_REQUEST_TYPE,
  HANDSHAKE_RESPONSE_TYPE,
  STRING_TYPE,
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

function truncated(what: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_PROTOCOL', `malformed Avro IPC message: ${what}`, { cause });
}

function decodeAt<T>(type: avro.Type, buf: Buffer, pos: number, what: string): { value: T; offset: number } {
  let res: { value: T; offset: number };
  try {
    res = type.decode(buf, pos) as { value: T; offset: number };
  } catch (err) {
    throw truncated(`bad ${what}`, err);
  }
  if (res.offset < 0) throw truncated(`truncated ${what}`);
  return res;
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
  let pos = 0;
  let handshake: HandshakeRequest | null = null;
  if (withHandshake) {
    const hs = decodeAt<HandshakeRequest>(HANDSHAKE_REQUEST_TYPE, payload, pos, 'handshake request');
    handshake = hs.value;
    pos = hs.offset;
  }
  const meta = decodeAt<Record<string, Buffer>>(CALL_META_TYPE, payload, pos, 'call metadata');
  const name = decodeAt<string>(STRING_TYPE, payload, meta.offset, 'message name');
  return { handshake, meta: meta.value, message: name.value, params: payload.subarray(name.offset) };
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
  let pos = 0;
  let handshake: HandshakeResponse | null = null;
  if (withHandshake) {
    const hs = decodeAt<HandshakeResponse>(HANDSHAKE_RESPONSE_TYPE, payload, pos, 'handshake response');
    handshake = hs.value;
    pos = hs.offset;
    if (handshake.match === 'NONE' || pos === payload.length) return { handshake, body: { kind: 'none' } };
  }
  const meta = decodeAt<Record<string, Buffer>>(CALL_META_TYPE, payload, pos, 'call metadata');
  pos = meta.offset;
  if (pos >= payload.length) throw truncated('truncated error flag');
  const flag = payload[pos]!;
  pos++;
  let body: ResponseBody;
  if (flag === 0) {
    const idx = decodeAt<number>(LONG_TYPE, payload, pos, 'result');
    body = { kind: 'result', statusIndex: idx.value };
    pos = idx.offset;
  } else if (flag === 1) {
    const branch = decodeAt<number>(LONG_TYPE, payload, pos, 'error union index');
    if (branch.value !== 0) throw truncated(`error union branch ${branch.value} (only the string branch is known)`);
    const msg = decodeAt<string>(STRING_TYPE, payload, branch.offset, 'error message');
    body = { kind: 'error', message: msg.value };
    pos = msg.offset;
  } else {
    throw truncated(`error flag byte ${flag}`);
  }
  if (pos !== payload.length) throw truncated('trailing bytes after the response');
  return { handshake, body };
}
