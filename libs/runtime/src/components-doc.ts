import type { AnyFactory, KeySpec } from '@sluice/config';

const KIND_TITLES: Record<AnyFactory['kind'], string> = {
  source: 'Sources',
  channel: 'Channels',
  sink: 'Sinks',
  interceptor: 'Interceptors',
  selector: 'Channel selectors',
  processor: 'Sink processors',
};

function formatOf(spec: KeySpec): string {
  return typeof spec.format === 'string' ? spec.format : spec.format.join(' | ');
}

function defaultOf(spec: KeySpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  if (spec.default === undefined) return '**required**';
  if (spec.default === '') return '""';
  return `\`${Array.isArray(spec.default) ? spec.default.join(' ') : String(spec.default)}\``;
}

/** A table cell: a `|` escaped once (GitHub renders `\|` as `|`), newlines as spaces. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * docs/components.md, generated from the factories' own schemas (every type, every key, its
 * format, default and meaning), so the reference cannot drift from the code. A test compares.
 */
export function renderComponentsDoc(factories: readonly AnyFactory[]): string {
  const out = [
    '# Components',
    '',
    'Generated from the component schemas by `npm run docs` — do not edit by hand. Keys keep Flume\'s',
    'spelling; a type is matched case-insensitively, or by its Flume class name (alias).',
    '',
  ];
  for (const kind of Object.keys(KIND_TITLES) as AnyFactory['kind'][]) {
    const of = factories.filter((f) => f.kind === kind);
    if (of.length === 0) continue;
    out.push(`## ${KIND_TITLES[kind]}`, '');
    for (const f of of) {
      out.push(`### \`${f.type}\``, '', cell(f.doc), '');
      if (f.aliases.length > 0) out.push(`Aliases: ${f.aliases.map((a) => `\`${a}\``).join(', ')}`, '');
      const keys = Object.entries(f.keys as Record<string, KeySpec>);
      const dynamic = Object.entries((f.dynamicKeys ?? {}) as Record<string, KeySpec>).map(([p, s]) => [`${p}<name>`, s] as const);
      if (keys.length + dynamic.length === 0) continue;
      out.push('| key | format | default | meaning |', '|---|---|---|---|');
      for (const [key, spec] of [...keys, ...dynamic]) {
        const bounds = [spec.min !== undefined ? `≥ ${spec.min}` : '', spec.max !== undefined ? `≤ ${spec.max}` : ''].filter(Boolean).join(', ');
        out.push(`| \`${key}\` | ${cell(formatOf(spec))}${bounds ? ` (${bounds})` : ''} | ${cell(defaultOf(spec))} | ${cell(spec.doc)} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
