import { Agent, request } from 'node:http';
import { describeSourceContract, type UpstreamAck } from '@sluice/testkit';
import { configFor } from '../test-support.js';
import { httpSource } from './http-source-factory.js';
import type { HttpSource } from './http-source.js';

describeSourceContract('http', {
  paced: 'clients',
  start: async (ctx) => {
    const source = httpSource.create(configFor(httpSource, { bind: '127.0.0.1', port: 0 }), ctx) as HttpSource;
    await source.start();
    const port = source.address().port;
    // One connection: requests reach the source, and their answers come back, in feed order.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const acks: UpstreamAck[] = [];
    return {
      source,
      feed: async (items) => {
        const body = JSON.stringify(items.map((body) => ({ headers: {}, body })));
        const answered = (ok: boolean): void => void acks.push(...items.map((): UpstreamAck => (ok ? 'ok' : 'failed')));
        const req = request({ host: '127.0.0.1', port, method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => answered(res.statusCode === 200));
        });
        req.on('error', () => answered(false));
        req.end(body);
      },
      acks: () => acks,
      cleanup: async () => agent.destroy(),
    };
  },
});
