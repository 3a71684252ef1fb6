import type { SluiceEvent } from '@sluice/core';

/** One received request, as a handler sees it: its whole body and what its head says. */
export interface HttpRequestInput {
  readonly body: Buffer;
  /** The `Content-Type` header, if any. */
  readonly contentType: string | undefined;
  /** The query parameters of the request URL. */
  readonly query: URLSearchParams;
}

/**
 * What a handler made of a request: the events of its one batch (possibly none), or why the
 * request is refused: `bad-request` (400, malformed or wrongly shaped), `unsupported-charset` (415).
 * `reason` is a short sentence for the client; it never echoes more than a few bytes of the body.
 */
export type HandlerResult =
  | { readonly ok: true; readonly events: SluiceEvent[] }
  | { readonly ok: false; readonly status: 400 | 415; readonly reason: string };

/** Turns a request into the events of one batch. Pure: never throws on any input. */
export type HttpHandler = (input: HttpRequestInput) => HandlerResult;

export const badRequest = (reason: string): HandlerResult => ({ ok: false, status: 400, reason });
