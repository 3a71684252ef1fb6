/**
 * Reads an agent's configuration file and checks it: properties → topology → every component
 * against its spec. Every problem is returned at once, each with file:line.
 */
import { readFileSync } from 'node:fs';
import { SluiceError } from '@sluice/core';
import type { Diagnostic } from './diagnostic.js';
import { formatDiagnostics } from './format-topology.js';
import { parseProperties } from './properties.js';
import type { Registry } from './registry.js';
import type { Environment } from './substitution.js';
import { buildTopology, type Topology, type TopologyResult } from './topology.js';

export interface LoadAgentConfigOptions {
  /** The configuration file; also the name used in diagnostics. */
  readonly file: string;
  /** The agent to configure (`-n`): only `<agent>.` properties are considered. */
  readonly agent: string;
  readonly registry: Registry;
  /** Unknown keys are errors instead of warnings (`--strict`). */
  readonly strict?: boolean;
  /** The file's content; when given, the file is not read. */
  readonly text?: string;
  /** Substitute `${NAME}` from the environment (Flume's EnvVarResolverProperties). */
  readonly envVars?: boolean;
  /** The environment for `${NAME}` and `env` config filters; default `process.env`. */
  readonly env?: Environment;
}

/** The first line of a read failure, e.g. `SLUICE_ERR_CONFIG_READ: cannot read the configuration file (ENOENT: ...)`. */
function readFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const detail = typeof e?.code === 'string' ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').split(',')[0]}` : String(err);
  return `SLUICE_ERR_CONFIG_READ: cannot read the configuration file (${detail})`;
}

/**
 * Loads and checks the configuration of `agent`. Synchronous: it runs once, before any process
 * starts. Never throws for a bad file: an unreadable file is one error diagnostic (line 0).
 * The topology is present only when no diagnostic is an error.
 */
export function loadAgentConfig(options: LoadAgentConfigOptions): TopologyResult {
  let text = options.text;
  if (text === undefined) {
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      if (!(err as NodeJS.ErrnoException)?.code) throw err;
      return { diagnostics: [{ severity: 'error', file: options.file, line: 0, message: readFailure(err) }] };
    }
  }
  const parsed = parseProperties(text);
  const agentPrefix = `${options.agent}.`;
  // Problems of other agents' properties are not this agent's business.
  const parseDiagnostics: Diagnostic[] = parsed.issues
    .filter((i) => i.key.startsWith(agentPrefix) || !i.key.includes('.'))
    .map((i) => ({ severity: i.severity, file: options.file, line: i.line, message: i.message }));
  const built = buildTopology({
    entries: parsed.entries,
    file: options.file,
    agent: options.agent,
    registry: options.registry,
    strict: options.strict,
    envVars: options.envVars,
    env: options.env,
  });
  const diagnostics = [...parseDiagnostics, ...built.diagnostics];
  const failed = diagnostics.some((d) => d.severity === 'error');
  return failed ? { diagnostics } : { topology: built.topology, diagnostics };
}

/**
 * The topology of a result, or a SluiceError listing every error and warning with file:line:
 * SLUICE_ERR_CONFIG_READ when the file could not be read, SLUICE_ERR_CONFIG otherwise.
 */
export function topologyOrThrow(result: TopologyResult): Topology {
  if (result.topology !== undefined) return result.topology;
  const unreadable = result.diagnostics.some((d) => d.line === 0 && d.message.startsWith('SLUICE_ERR_CONFIG_READ'));
  throw new SluiceError(unreadable ? 'SLUICE_ERR_CONFIG_READ' : 'SLUICE_ERR_CONFIG', formatDiagnostics(result.diagnostics));
}
