#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '@sluice/core';
import { formatTopology } from '@sluice/config';
import { agentRegistry } from '@sluice/runtime';
import { AVRO_CLIENT_HELP, parseAvroClientArgs, runAvroClient } from './avro-client.js';
import { HELP, ignoredDefines, parseCommand, pluginPaths } from './cli-args.js';
import { runCtl } from './ctl.js';
import { load, runAgent } from './run-agent.js';

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<void> {
  const cmd = parseCommand(argv);
  switch (cmd.command) {
    case 'help':
      process.stdout.write(HELP);
      return;
    case 'version':
      process.stdout.write(`sluice ${version()}\n`);
      return;
    case 'check': {
      for (const note of cmd.notes) process.stderr.write(`note: ${note}\n`);
      const ignored = ignoredDefines(cmd.defines);
      if (ignored.length > 0) process.stderr.write(`note: these -D properties are ignored (Sluice does not use them): ${ignored.join(', ')}\n`);
      const topology = load(cmd);
      process.stdout.write(formatTopology(topology, { registry: agentRegistry(pluginPaths(cmd.values)) }) + '\n');
      return;
    }
    case 'agent':
      return runAgent(cmd);
    case 'avro-client': {
      const parsed = parseAvroClientArgs(cmd.args ?? []);
      if (parsed === 'help') {
        process.stdout.write(AVRO_CLIENT_HELP);
        return;
      }
      const sent = await runAvroClient(parsed, process.stdin);
      process.stderr.write(`avro-client: ${sent.events} events sent in ${sent.batches} batches to ${parsed.host}:${parsed.port}, all answered OK\n`);
      return;
    }
    case 'ctl':
      process.exitCode = await runCtl(cmd.args ?? []);
      return;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof SluiceError) {
    process.stderr.write(`sluice: ${err.message}\n`);
    if (err.code === 'SLUICE_ERR_USAGE') process.stderr.write('Try `sluice --help`.\n');
    process.exit(err.code === 'SLUICE_ERR_USAGE' ? 2 : 1);
  }
  process.stderr.write(`sluice: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
