import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentProcess, cleanup, readRolledLines, tempDir, waitFor } from '../support/agent.js';

const dir = tempDir('routing');
after(() => cleanup(dir));

const REGIONS = ['us', 'eu', 'asia', ''];
const line = (i: number) => `${REGIONS[i % REGIONS.length]}|${i % 7 === 0 ? 'DEBUG' : 'INFO'} request ${i} password=secret${i}`;

/** Java properties unescape `\\`: the file holds `\\|` for the regex `\|`. */
function config(log: string, out: (name: string) => string): string {
  return `a1.sources = r1
a1.channels = us eu rest
a1.sinks = kus keu krest
a1.sources.r1.type = exec
a1.sources.r1.command = cat ${log}
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = us eu rest
a1.sources.r1.interceptors = drop region scrub id
a1.sources.r1.interceptors.drop.type = regex_filter
a1.sources.r1.interceptors.drop.regex = \\\\|DEBUG
a1.sources.r1.interceptors.drop.excludeEvents = true
a1.sources.r1.interceptors.region.type = org.apache.flume.interceptor.RegexExtractorInterceptor$Builder
a1.sources.r1.interceptors.region.regex = ^(\\\\w+)\\\\|
a1.sources.r1.interceptors.region.serializers = r
a1.sources.r1.interceptors.region.serializers.r.name = region
a1.sources.r1.interceptors.scrub.type = search_replace
a1.sources.r1.interceptors.scrub.searchPattern = password=\\\\S+
a1.sources.r1.interceptors.scrub.replaceString = password=***
a1.sources.r1.interceptors.id.type = uuid
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = region
a1.sources.r1.selector.mapping.us = us
a1.sources.r1.selector.mapping.eu = eu rest
a1.sources.r1.selector.default = rest
${['us', 'eu', 'rest']
  .map(
    (c) => `a1.channels.${c}.type = memory
a1.channels.${c}.capacity = 10000
a1.channels.${c}.transactionCapacity = 1000
a1.sinks.k${c}.type = file_roll
a1.sinks.k${c}.channel = ${c}
a1.sinks.k${c}.sink.directory = ${out(c)}
a1.sinks.k${c}.sink.rollInterval = 0
a1.sinks.k${c}.sink.serializer = header_and_text
`,
  )
  .join('')}`;
}

test('interceptors filter, extract, scrub and tag each event; multiplexing routes it by header to its channels', async () => {
  const log = join(dir, 'app.log');
  const out = (c: string) => join(dir, `out-${c}`);
  const lines = Array.from({ length: 5000 }, (_, i) => line(i));
  writeFileSync(log, lines.join('\n') + '\n');
  for (const c of ['us', 'eu', 'rest']) mkdirSync(out(c), { recursive: true });
  const kept = lines.map((l, i) => ({ l, i })).filter(({ l }) => !l.includes('|DEBUG'));
  const expected = {
    us: kept.filter(({ i }) => i % 4 === 0),
    eu: kept.filter(({ i }) => i % 4 === 1),
    rest: kept.filter(({ i }) => i % 4 !== 0),
  };
  const agent = new AgentProcess(dir, 'a1', config(log, out));
  try {
    await agent.ready();
    await waitFor(
      'every kept event in its channels',
      () => (['us', 'eu', 'rest'].every((c) => readRolledLines(out(c)).length >= expected[c as keyof typeof expected].length) ? true : undefined),
      60_000,
    );
    const ids = new Set<string>();
    for (const c of ['us', 'eu', 'rest'] as const) {
      const got = readRolledLines(out(c));
      assert.equal(got.length, expected[c].length, `${c}: event count`);
      got.forEach((text, n) => {
        const { l, i } = expected[c][n]!;
        const m = /^\{(.*)\} (.*)$/.exec(text);
        assert.ok(m, `${c}: ${text}`);
        assert.equal(m[2], l.replace(/password=\S+/, 'password=***'), `${c}: body of event ${i}`);
        const headers = Object.fromEntries(m[1]!.split(', ').map((kv) => kv.split('=') as [string, string]));
        if (REGIONS[i % 4] !== '') assert.equal(headers['region'], REGIONS[i % 4]);
        else assert.equal(headers['region'], undefined, 'no region: no header');
        assert.match(headers['id']!, /^[0-9a-f-]{36}$/);
        if (c !== 'rest' || i % 4 !== 1) ids.add(headers['id']!);
      });
    }
    assert.equal(ids.size, kept.length, 'one id per kept event (the eu copies in rest share theirs)');
  } finally {
    await agent.stop();
  }
});
