import type { AgentSnapshot, ComponentCounters, WorkerSnapshot } from './snapshot.js';

/** Test data only: a worker snapshot with ordinary values, overridden by `over`. */
export function worker(over: Partial<WorkerSnapshot> & Pick<WorkerSnapshot, 'id'>): WorkerSnapshot {
  const [kind, name] = over.id.split(':') as [WorkerSnapshot['kind'], string];
  return {
    kind,
    name,
    type: 'memory',
    pid: 4242,
    state: 'running',
    restarts: 0,
    startedAt: 1_700_000_000_000,
    uptimeMs: 5000,
    rssBytes: 50_000_000,
    lastExit: null,
    failure: null,
    ...over,
  };
}

/** Test data only: a component's counters. */
export function component(over: Partial<ComponentCounters> & Pick<ComponentCounters, 'key'>): ComponentCounters {
  const [group, name] = over.key.split('.') as [ComponentCounters['group'], string];
  return { group, name, type: 'memory', worker: `${group.toLowerCase()}:${name}`, startTime: 1_700_000_000_100, stopTime: 0, values: {}, ...over };
}

/** Test data only: the README's flow (netcat → memory → logger) in a running agent. */
export function agent(over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    agent: 'a1',
    pid: 4000,
    state: 'running',
    startedAt: 1_700_000_000_000,
    updatedAt: 1_700_000_005_000,
    workers: [worker({ id: 'channel:c1' }), worker({ id: 'sink:k1', type: 'logger', pid: 4243 }), worker({ id: 'source:r1', type: 'netcat', pid: 4244 })],
    components: [
      component({ key: 'CHANNEL.c1', values: { ChannelSize: 5, ChannelCapacity: 40, ChannelFillPercentage: 12.5, EventPutAttemptCount: 25, EventPutSuccessCount: 25, EventTakeAttemptCount: 30, EventTakeSuccessCount: 20 } }),
      component({ key: 'SINK.k1', type: 'logger', worker: 'sink:k1', values: { EventDrainAttemptCount: 20, EventDrainSuccessCount: 20, BatchUnderflowCount: 3 } }),
      component({ key: 'SOURCE.r1', type: 'netcat', worker: 'source:r1', values: { EventReceivedCount: 25, EventAcceptedCount: 25, OpenConnectionCount: 1 } }),
    ],
    ...over,
  };
}
