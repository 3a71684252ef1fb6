import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiagnostics, formatTopology } from './format-topology.js';
import { loadAgentConfig } from './load.js';
import { createRegistry } from './registry.js';
import type { SourceFactory } from './spec.js';
import { fakeFactories, notInConfigTests } from './test-support/fake-factories.js';

const registry = createRegistry(fakeFactories);

const TEXT = `a1.sources = tail
a1.channels = c1 c2
a1.sinks = k1 k2 k3
a1.sinkgroups = g1
a1.sources.tail.type = exec
a1.sources.tail.command = tail -F /var/log/app.log
a1.sources.tail.channels = c1 c2
a1.sources.tail.selector.optional = c2
a1.sources.tail.interceptors = ts st
a1.sources.tail.interceptors.ts.type = timestamp
a1.sources.tail.interceptors.st.type = static
a1.sources.tail.interceptors.st.value = NYC
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c2.type = memory
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
a1.sinks.k2.type = logger
a1.sinks.k2.channel = c1
a1.sinks.k3.type = logger
a1.sinks.k3.channel = c2
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
`;

describe('formatTopology', () => {
  const topology = loadAgentConfig({ file: 'agent.properties', agent: 'a1', registry, text: TEXT }).topology!;

  it('shows feeds, optional channels, interceptors in order, drains and groups with priorities', () => {
    assert.equal(
      formatTopology(topology),
      [
        'agent a1 (agent.properties)',
        'sources:',
        '  tail: exec -> c1, c2 (optional)',
        '    interceptors: ts (timestamp) -> st (static)',
        'channels:',
        '  c1: memory <- tail -> k1 (logger), k2 (logger)',
        '  c2: memory <- tail -> k3 (logger)',
        'sink groups:',
        '  g1: failover (maxpenalty=30000) -> k1 (priority 10), k2 (priority 5)',
        '  k3: default, implicit -> k3',
      ].join('\n'),
    );
  });

  it('with the registry, adds the settings that differ from their defaults', () => {
    const text = formatTopology(topology, { registry });
    assert.match(text, /^ {2}tail: exec \(command=tail -F \/var\/log\/app\.log\) -> c1, c2 \(optional\)$/m);
    assert.match(text, /^ {4}interceptors: ts \(timestamp\) -> st \(static, value=NYC\)$/m);
    assert.match(text, /^ {2}c1: memory \(capacity=10000\) <- tail -> k1 \(logger\), k2 \(logger\)$/m);
    assert.match(text, /^ {2}g1: failover -> k1 \(priority 10\), k2 \(priority 5\)$/m);
  });
});

describe('formatTopology with secrets', () => {
  const TLS_KEYS = {
    keystore: { format: 'string', default: '', doc: 'Keystore path.' },
    'keystore-password': { format: 'string', default: '', doc: 'Keystore password.' },
    'auth-token': { format: 'string', default: '', doc: 'Token.' },
  } as const;
  const tlsSource: SourceFactory<typeof TLS_KEYS> = { kind: 'source', type: 'tls', aliases: [], doc: 'TLS.', keys: TLS_KEYS, create: notInConfigTests };
  const withTls = createRegistry([...fakeFactories, tlsSource]);
  const text = `a1.sources = r1
a1.channels = c1
a1.sources.r1.type = tls
a1.sources.r1.channels = c1
a1.sources.r1.keystore = /etc/sluice/server.p12
a1.sources.r1.keystore-password = hunter2
a1.sources.r1.auth-token = s3cr3t-t0ken
a1.channels.c1.type = memory
`;

  it('shows the values of secret keys as ******', () => {
    const topology = loadAgentConfig({ file: 'agent.properties', agent: 'a1', registry: withTls, text }).topology!;
    const out = formatTopology(topology, { registry: withTls });
    assert.match(out, /^ {2}r1: tls \(keystore=\/etc\/sluice\/server\.p12, keystore-password=\*{6}, auth-token=\*{6}\) -> c1$/m);
    assert.doesNotMatch(out, /hunter2|s3cr3t-t0ken/);
  });
});

describe('formatDiagnostics', () => {
  it('prints file:line: severity: message sorted by line, whole-file problems first', () => {
    const text = formatDiagnostics([
      { severity: 'error', file: 'agent.properties', line: 12, message: 'b' },
      { severity: 'warning', file: 'agent.properties', line: 3, message: 'a' },
      { severity: 'error', file: 'agent.properties', line: 12, message: 'c' },
      { severity: 'error', file: 'agent.properties', line: 0, message: 'whole file' },
    ]);
    assert.equal(
      text,
      [
        'agent.properties: error: whole file',
        'agent.properties:3: warning: a',
        'agent.properties:12: error: b',
        'agent.properties:12: error: c',
      ].join('\n'),
    );
  });

  it('prints nothing for no diagnostics', () => {
    assert.equal(formatDiagnostics([]), '');
  });
});
