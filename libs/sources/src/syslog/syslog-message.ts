import type { SluiceEvent } from '@sluice/core';
import type { KeepFields } from './keep-fields.js';
import { parseRfc3164Timestamp, parseRfc5424Timestamp } from './syslog-timestamp.js';

/** Header set to `Invalid` (no PRI) or `Incomplete` (cut at eventSize) on a message Flume would mark. */
export const SYSLOG_STATUS_HEADER = 'flume.syslog.status';

/** `<PRI>`: one to three digits. */
const PRI = /^<(\d{1,3})>/;
// What follows the PRI, up to the message. Hosts are Flume's: a word character, then word
// characters, dots, `@` and dashes. The header is ASCII, so matching the bytes read as latin1
// gives the message's byte offset.
const RFC5424_HEAD =
  /^(\d?) ?(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)?)|-) (?:([A-Za-z0-9_][\w.@-]*)|-) /;
const RFC3164_HEAD = /^(\d)? ?([A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}) ([A-Za-z0-9_][\w.@-]*) /;
/** Longest header looked at: PRI, version, the longest timestamp and a long host name. */
const HEAD_SCAN_BYTES = 512;

export interface SyslogParseOptions {
  readonly keepFields: KeepFields;
  /** Now, in epoch ms: the reference for an RFC 3164 timestamp's year. */
  readonly now: number;
}

/**
 * Turns one syslog message (its bytes, without framing) into a Flume event, as Flume's syslog
 * sources do. Headers: `Facility` and `Severity` always (0 and 0 without a PRI), and when an RFC
 * 5424 or RFC 3164 header is recognised `priority`, `version` (when present), `timestamp` (epoch
 * ms, when it is a valid time) and `host` (unless `-`). The body is the message after the host,
 * with the fields named by `keepFields` put back in front of it (`all`: the raw message).
 *
 * Never throws and never drops: a message without a valid PRI is marked `Invalid` with the raw
 * bytes as its body; one with a PRI but neither header is kept raw with only Facility and
 * Severity (as Flume). `cut` marks a message that was longer than eventSize `Incomplete`.
 */
export function parseSyslogMessage(raw: Buffer, cut: boolean, options: SyslogParseOptions): SluiceEvent {
  const head = raw.toString('latin1', 0, Math.min(raw.length, HEAD_SCAN_BYTES));
  const pri = PRI.exec(head);
  if (pri === null) {
    return { headers: { Facility: '0', Severity: '0', [SYSLOG_STATUS_HEADER]: 'Invalid' }, body: raw };
  }
  const priority = Number(pri[1]);
  const headers: Record<string, string> = { Facility: String(Math.floor(priority / 8)), Severity: String(priority % 8) };
  if (cut) headers[SYSLOG_STATUS_HEADER] = 'Incomplete';
  const rest = head.slice(pri[0].length);
  let version: string | undefined;
  let stamp: string | undefined;
  let host: string | undefined;
  let timestamp: number | undefined;
  let m = RFC5424_HEAD.exec(rest);
  if (m !== null) {
    [, version, stamp, host] = m;
    if (stamp !== undefined) timestamp = parseRfc5424Timestamp(stamp);
  } else if ((m = RFC3164_HEAD.exec(rest)) !== null) {
    [, version, stamp, host] = m;
    timestamp = parseRfc3164Timestamp(stamp!, options.now);
  } else {
    return { headers, body: raw };
  }
  headers.priority = pri[1]!;
  if (version !== undefined && version !== '') headers.version = version;
  if (timestamp !== undefined) headers.timestamp = String(timestamp);
  if (host !== undefined) headers.host = host;
  const message = raw.subarray(pri[0].length + m[0].length);
  const keep = options.keepFields;
  if (keep.all || message.length === 0) return { headers, body: raw };
  if (keep.fields.size === 0) return { headers, body: message };
  let prefix = '';
  if (keep.fields.has('priority')) prefix += `<${pri[1]}>`;
  if (keep.fields.has('version') && version !== undefined && version !== '') prefix += `${version} `;
  if (keep.fields.has('timestamp')) prefix += `${stamp ?? '-'} `;
  if (keep.fields.has('hostname')) prefix += `${host ?? '-'} `;
  return { headers, body: Buffer.concat([Buffer.from(prefix, 'latin1'), message]) };
}
