/** One sample of the Prometheus text format. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: its samples and each metric family's `# TYPE`. */
export interface PromText {
  readonly samples: readonly PromSample[];
  readonly types: ReadonlyMap<string, string>;
}

/**
 * For tests: a small parser of the Prometheus text format (0.0.4): samples with
 * labels (escapes `\\`, `\"`, `\n` in values) and `# TYPE` lines. Timestamps are ignored.
 * Throws on a line it cannot read.
 */
export function parsePrometheusText(text: string): PromText {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \S+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    const body = m[2] ?? '';
    let end = 0;
    for (let l = labelRe.exec(body); l !== null; l = labelRe.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      end = labelRe.lastIndex;
    }
    if (end !== body.length) throw new Error(`bad labels in: ${line}`);
    samples.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return { samples, types };
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const n = Number(s);
  if (Number.isNaN(n) && s !== 'NaN') throw new Error(`not a sample value: ${s}`);
  return n;
}
