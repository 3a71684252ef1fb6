const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC5424_STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;
const RFC3164_STAMP = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * An RFC 5424 timestamp in epoch milliseconds: fractions past milliseconds are dropped; without
 * an offset the time is read in the agent's time zone (as Flume does). Undefined when a field is
 * out of range.
 */
export function parseRfc5424Timestamp(text: string): number | undefined {
  const m = RFC5424_STAMP.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (!validTime(year, month, day, hour, minute, second)) return undefined;
  const zone = m[8];
  if (zone === undefined) return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (zone === 'Z') return utc;
  const offsetHours = Number(zone.slice(1, 3));
  const offsetMinutes = Number(zone.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return zone.startsWith('+') ? utc - offset : utc + offset;
}

/**
 * An RFC 3164 timestamp (`Mmm d HH:mm:ss`, no year) in epoch milliseconds, read in the agent's
 * time zone. The year is Flume's guess: the current one, moved back a year when that puts the
 * time more than a month ahead of `now`, forward a year when more than eleven months behind.
 */
export function parseRfc3164Timestamp(text: string, now: number): number | undefined {
  const m = RFC3164_STAMP.exec(text);
  if (m === null) return undefined;
  const month = MONTHS.indexOf(m[1]!) + 1;
  const [day, hour, minute, second] = m.slice(2, 6).map(Number) as [number, number, number, number];
  if (month === 0) return undefined;
  const year = new Date(now).getUTCFullYear();
  // Feb 29 is checked against the year it lands in.
  const at = (y: number): number | undefined =>
    validTime(y, month, day, hour, minute, second) ? new Date(y, month - 1, day, hour, minute, second).getTime() : undefined;
  const guess = at(year);
  if (guess !== undefined && guess > now && addMonths(guess, -1) > now) return at(year - 1);
  if (guess !== undefined && guess < now && addMonths(guess, 11) < now) return at(year + 1);
  if (guess !== undefined) return guess;
  // Feb 29 of a year that has none: the nearest leap year within the window, if any.
  return at(year - 1) ?? at(year + 1);
}

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setMonth(d.getMonth() + months);
  return d.getTime();
}

function validTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  const daysInMonth = Math.round((Date.UTC(year, month, 1) - Date.UTC(year, month - 1, 1)) / DAY_MS);
  return day <= daysInMonth;
}
