/**
 * A reader for Java `.properties` text (the syntax of Flume's configuration file) that keeps the
 * line number of every property, so later steps can report `file:line`.
 *
 * It follows `java.util.Properties.load` for syntax, then applies what Flume does on top of it
 * (keys and values trimmed, empty values dropped), but says so: duplicates and empty values are
 * reported as warnings instead of vanishing silently.
 */

/** One property, in file order. `line` is the 1-based line where the property (its key) starts. */
export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** A problem found while reading; `key` is the (unescaped) key of the property concerned. */
export interface PropertiesIssue {
  readonly severity: 'error' | 'warning';
  readonly line: number;
  readonly key: string;
  readonly message: string;
}

export interface ParsedProperties {
  /** The surviving properties: one per key (the last one wins), none with an empty value. */
  readonly entries: readonly PropertyEntry[];
  readonly issues: readonly PropertiesIssue[];
}

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

function skipLeadingBlanks(s: string): string {
  let i = 0;
  while (i < s.length && isBlank(s[i]!)) i++;
  return s.slice(i);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/**
 * Joins physical lines into logical ones as Java does: blank and comment lines (`#` or `!` first)
 * are skipped; a line ending in an odd number of backslashes continues on the next line, whose
 * leading blanks are dropped (a continuation line is never a comment).
 */
function logicalLines(text: string): LogicalLine[] {
  const physical = text.split(/\r\n|\r|\n/);
  const out: LogicalLine[] = [];
  let i = 0;
  while (i < physical.length) {
    const start = i;
    let current = skipLeadingBlanks(physical[i]!);
    i++;
    if (current === '' || current[0] === '#' || current[0] === '!') continue;
    while (endsWithOddBackslashes(current)) {
      current = current.slice(0, -1);
      if (i >= physical.length) break; // a backslash at the end of the file is dropped
      current += skipLeadingBlanks(physical[i]!);
      i++;
    }
    out.push({ text: current, line: start + 1 });
  }
  return out;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Undoes Java's escapes; a malformed `\uXXXX` is kept as written and reported through `bad`. */
function unescape(s: string, bad: (message: string) => void): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const e = s[++i]!;
    if (e === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        bad(`malformed \\uXXXX escape "\\u${hex}" (four hexadecimal digits expected)`);
        out += '\\u';
      }
    } else {
      out += SIMPLE_ESCAPES[e] ?? e;
    }
  }
  return out;
}

/** Java's String.trim: strips every character up to U+0020 at both ends. */
function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

/**
 * Splits a logical line into its raw key and value: the key ends at the first unescaped `=`, `:`
 * or blank; blanks around the separator are skipped, and one `=`/`:` after blanks is the separator.
 */
function splitKeyValue(text: string): { rawKey: string; rawValue: string } {
  let keyLen = 0;
  let valueStart = text.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  while (keyLen < text.length) {
    const c = text[keyLen]!;
    if ((c === '=' || c === ':') && !precedingBackslash) {
      valueStart = keyLen + 1;
      hasSeparator = true;
      break;
    }
    if (isBlank(c) && !precedingBackslash) {
      valueStart = keyLen + 1;
      break;
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false;
    keyLen++;
  }
  while (valueStart < text.length) {
    const c = text[valueStart]!;
    if (!isBlank(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return { rawKey: text.slice(0, keyLen), rawValue: text.slice(valueStart) };
}

/**
 * Reads properties text. Never throws: problems come back as issues.
 * - A duplicate key keeps the last value (as Java and Flume do), reported as a warning naming both lines;
 *   the surviving entry takes the position of the last occurrence.
 * - A property whose value is empty after trimming is dropped (as Flume does), with a warning.
 * - A malformed `\uXXXX` escape is an error (Java refuses the whole file); the text is kept as written.
 * - A leading byte order mark is ignored.
 */
export function parseProperties(text: string): ParsedProperties {
  const issues: PropertiesIssue[] = [];
  const parsed: (PropertyEntry | undefined)[] = [];
  const indexByKey = new Map<string, number>();
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;

  for (const { text: logical, line } of logicalLines(source)) {
    const { rawKey, rawValue } = splitKeyValue(logical);
    const problems: string[] = [];
    const key = javaTrim(unescape(rawKey, (m) => problems.push(m)));
    const value = javaTrim(unescape(rawValue, (m) => problems.push(m)));
    for (const message of problems) issues.push({ severity: 'error', line, key, message: `${key}: ${message}` });

    const previous = indexByKey.get(key);
    if (previous !== undefined) {
      const before = parsed[previous]!;
      issues.push({
        severity: 'warning',
        line,
        key,
        message: `${key}: duplicate key (also on line ${before.line}); the value on line ${line} wins`,
      });
      parsed[previous] = undefined;
    }
    indexByKey.set(key, parsed.length);
    parsed.push({ key, value, line });
  }

  const entries: PropertyEntry[] = [];
  for (const entry of parsed) {
    if (entry === undefined) continue;
    if (entry.value === '') {
      issues.push({
        severity: 'warning',
        line: entry.line,
        key: entry.key,
        message: `${entry.key}: empty value ignored`,
      });
      continue;
    }
    entries.push(entry);
  }
  return { entries, issues };
}
