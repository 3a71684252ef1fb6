import { channelFillPercentage } from './fill-percentage.js';
import { flumeCounterNames } from './flume-names.js';
import { javaDouble } from './java-double.js';
import type { AgentSnapshot, ComponentCounters, WorkerSnapshot } from './snapshot.js';

/** Flume's `/metrics` body: an object per `<TYPE>.<name>` key, every value a string. */
export type FlumeJson = Record<string, Record<string, string>>;

/**
 * Flume's HTTP monitoring JSON for a snapshot. Each component entry has every attribute Flume's
 * counter group of that kind has ("0" when not maintained), the counters Sluice adds beyond them,
 * and Type, StartTime, StopTime (epoch ms; StopTime "0" while running). ChannelFillPercentage is
 * a Java double (`12.5`, `0.0`); every other value prints as a plain number.
 *
 * One more entry per worker process, keyed `WORKER.<id>` (`WORKER.sink:g1`): Type "WORKER", Kind,
 * ComponentType, Pid, State, Restarts, StartTime, UptimeMs, RssBytes, Failure. Numbers that are not
 * known (no pid, no RSS report yet) are "0", so that every numeric attribute parses as a number;
 * Failure is "" unless the worker is failed.
 */
export function flumeJson(snapshot: AgentSnapshot): FlumeJson {
  const out: FlumeJson = {};
  for (const c of snapshot.components) out[c.key] = componentEntry(c);
  for (const w of snapshot.workers) out[`WORKER.${w.id}`] = workerEntry(w);
  return out;
}

function componentEntry(c: ComponentCounters): Record<string, string> {
  const entry: Record<string, string> = {};
  for (const name of flumeCounterNames(c.group, c.type)) entry[name] = '0';
  for (const [name, value] of Object.entries(c.values)) entry[name] = String(value);
  if (c.group === 'CHANNEL') entry['ChannelFillPercentage'] = javaDouble(channelFillPercentage(c.values));
  entry['Type'] = c.group;
  entry['StartTime'] = String(c.startTime);
  entry['StopTime'] = String(c.stopTime);
  return entry;
}

function workerEntry(w: WorkerSnapshot): Record<string, string> {
  return {
    Type: 'WORKER',
    Kind: w.kind,
    ComponentType: w.type,
    Pid: String(w.pid ?? 0),
    State: w.state,
    Restarts: String(w.restarts),
    StartTime: String(w.startedAt),
    UptimeMs: String(w.uptimeMs),
    RssBytes: String(w.rssBytes ?? 0),
    Failure: w.failure ?? '',
  };
}
