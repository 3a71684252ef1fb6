/** The only thing that travels through Sluice: Flume's event, headers plus an opaque body. */
export interface SluiceEvent {
  headers: Record<string, string>;
  body: Buffer;
}

/** Builds an event from a UTF-8 string body (tests, line-oriented sources). */
export function textEvent(body: string | Buffer, headers: Record<string, string> = {}): SluiceEvent {
  return { headers, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
}
