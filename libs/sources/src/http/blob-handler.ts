import type { HandlerResult, HttpRequestInput } from './http-handler.js';

/**
 * Flume's BlobHandler (`org.apache.flume.sink.solr.morphline.BlobHandler`): the whole request body
 * is one event, its bytes unchanged; the URL's query parameters are its headers (the first value
 * of a repeated parameter). An empty body is an event with an empty body.
 */
export function blobHandler(input: HttpRequestInput): HandlerResult {
  const headers: Record<string, string> = {};
  for (const [key, value] of input.query) {
    if (!Object.hasOwn(headers, key)) Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, events: [{ headers, body: input.body }] };
}
