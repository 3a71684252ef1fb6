import type { SluiceEvent } from '@sluice/core';
import { badRequest, type HandlerResult, type HttpRequestInput } from './http-handler.js';
import { charsetParameter, decodeText, encodeText, jsonCharset } from './request-charset.js';

/** Longest piece of client input (a header name, a parser message) quoted back in a reason. */
const QUOTE_MAX = 60;

/**
 * Flume's JSONHandler: the body is a JSON array of events, `[{"headers": {"k": "v"}, "body": "text"}]`,
 * read in the charset of the request's Content-Type (UTF-8 when it names none; UTF-16 and UTF-32
 * also accepted). Each body string is encoded in that same charset to make the event's bytes.
 * `headers` may be left out (no headers); when given it is an object whose values are strings;
 * `body` is required and a string. Other fields are ignored. Anything else is a bad request, and
 * the reason names the first event and field at fault.
 */
export function jsonHandler(input: HttpRequestInput): HandlerResult {
  const name = charsetParameter(input.contentType) ?? 'UTF-8';
  const charset = jsonCharset(name);
  if (charset === undefined) return { ok: false, status: 415, reason: `charset ${quote(name)} is not supported: use UTF-8, UTF-16 or UTF-32` };
  let text = decodeText(input.body, charset);
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return badRequest(`the body is not valid JSON (${clip((err as Error).message)})`);
  }
  if (!Array.isArray(parsed)) return badRequest('the body must be a JSON array of events');
  const events: SluiceEvent[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const item: unknown = parsed[i];
    if (!isObject(item)) return badRequest(`event ${i}: must be an object with "headers" and "body"`);
    const headers = item['headers'] ?? {};
    if (!isObject(headers)) return badRequest(`event ${i}: "headers" must be an object of strings`);
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value !== 'string') return badRequest(`event ${i}: header ${quote(key)} must be a string`);
    }
    const body = item['body'];
    if (body === undefined) return badRequest(`event ${i}: "body" is missing`);
    if (typeof body !== 'string') return badRequest(`event ${i}: "body" must be a string`);
    // The object JSON.parse built keeps a key such as "__proto__" as an ordinary own field.
    events.push({ headers: headers as Record<string, string>, body: encodeText(body, charset) });
  }
  return { ok: true, events };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length <= QUOTE_MAX ? text : `${text.slice(0, QUOTE_MAX)}...`;
}

function quote(text: string): string {
  return JSON.stringify(clip(text));
}
