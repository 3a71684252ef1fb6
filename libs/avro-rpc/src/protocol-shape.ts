import * as avro from 'avsc';
import { SluiceError } from '@sluice/core';
import { AVRO_SOURCE_PROTOCOL_TEXT, STATUS_SYMBOLS, type Status } from './protocol.js';

/**
 * What we need to know about a peer's protocol when its hash is not Flume's: for each message,
 * the byte layout of its request (so parameters can pass through undecoded only when the layout is
 * exactly ours) and the symbols of its response enum (so a Status travels by name, as Avro's
 * schema resolution would carry it). Full Avro schema resolution is not implemented: a message
 * whose request layout differs is answered with an error.
 */
export interface MessageShape {
  readonly requestLayout: string;
  /** Symbols of the response enum, or null when the response is not an enum. */
  readonly responseSymbols: readonly string[] | null;
}

export interface ProtocolShape {
  readonly messages: ReadonlyMap<string, MessageShape>;
}

const MAX_DEPTH = 32;

interface AvscType {
  readonly typeName: string;
  readonly fields?: readonly { readonly type: AvscType }[];
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly types?: readonly AvscType[];
  readonly symbols?: readonly string[];
  readonly size?: number;
}

/** A string that is equal for two types exactly when they are written with the same bytes. */
function layout(type: AvscType, depth = 0): string {
  if (depth > MAX_DEPTH) throw new Error('schema nested too deeply');
  switch (type.typeName) {
    case 'record':
    case 'error':
      return `{${(type.fields ?? []).map((f) => layout(f.type, depth + 1)).join(',')}}`;
    case 'array':
      return `[${layout(type.itemsType!, depth + 1)}]`;
    case 'map':
      return `map<${layout(type.valuesType!, depth + 1)}>`;
    case 'union:unwrapped':
    case 'union:wrapped':
      return `(${(type.types ?? []).map((t) => layout(t, depth + 1)).join('|')})`;
    case 'enum':
      return `enum(${(type.symbols ?? []).join(',')})`;
    case 'fixed':
      return `fixed${type.size}`;
    default:
      return type.typeName;
  }
}

/** Parses protocol JSON text; throws SLUICE_ERR_PROTOCOL when it is not a valid Avro protocol. */
export function parseProtocolShape(text: string): ProtocolShape {
  try {
    const service = avro.Service.forProtocol(JSON.parse(text));
    const messages = new Map<string, MessageShape>();
    for (const m of service.messages as unknown as { name: string; requestType: AvscType; responseType: AvscType }[]) {
      messages.set(m.name, {
        requestLayout: layout(m.requestType),
        responseSymbols: m.responseType.typeName === 'enum' ? [...m.responseType.symbols!] : null,
      });
    }
    return { messages };
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_PROTOCOL', `the peer sent a protocol that cannot be parsed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** AvroSourceProtocol's own shape. */
export const LOCAL_SHAPE: ProtocolShape = parseProtocolShape(AVRO_SOURCE_PROTOCOL_TEXT);

/** The index a peer with `symbols` expects for `status`, or -1 when it has no such symbol. */
export function statusIndexFor(status: Status, symbols: readonly string[] | null): number {
  return (symbols ?? STATUS_SYMBOLS).indexOf(status);
}

/** The Status a peer with `symbols` meant by `index`, or undefined when it is not one of ours. */
export function statusFromIndex(index: number, symbols: readonly string[] | null): Status | undefined {
  const name = (symbols ?? STATUS_SYMBOLS)[index];
  return STATUS_SYMBOLS.find((s) => s === name);
}
