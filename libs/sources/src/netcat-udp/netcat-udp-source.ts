import type { KeySpecs, SourceFactory } from '@sluice/config';
import { DatagramSource } from '../datagram-source.js';

export const NETCAT_UDP_KEYS = {
  bind: { format: 'host', default: undefined, doc: 'Host name or IP address to listen on.' },
  port: { format: 'port', default: undefined, doc: 'UDP port to listen on.' },
  remoteAddressHeader: { format: 'string', default: '', doc: 'Header that gets the sender\'s IP address; empty: none.' },
  batchSize: {
    format: 'int',
    default: 100,
    min: 1,
    doc: 'Sluice extension: most datagrams committed in one batch (and held while the channels are full); keep it within the channel transactionCapacity.',
  },
} as const satisfies KeySpecs;

/** Flume's `netcatudp`: one event per datagram, its bytes the body (one trailing `\n` dropped). */
export const netcatUdpSource: SourceFactory<typeof NETCAT_UDP_KEYS> = {
  kind: 'source',
  type: 'netcatudp',
  aliases: ['org.apache.flume.source.NetcatUdpSource'],
  doc: "One event per UDP datagram, its bytes the body. Datagrams that arrive while the channels are full are dropped and counted (`DatagramDroppedCount`), as Flume loses them.",
  keys: NETCAT_UDP_KEYS,
  batchSizeKey: 'batchSize',
  resources: (config) => [{ kind: 'udp-port', host: config.bind, port: config.port, key: 'port' }],
  create(config, ctx) {
    const header = config.remoteAddressHeader;
    return new DatagramSource(
      {
        host: config.bind,
        port: config.port,
        batchSize: config.batchSize,
        what: 'netcat UDP',
        toEvent(datagram, address) {
          const body = datagram.length > 0 && datagram[datagram.length - 1] === 0x0a ? datagram.subarray(0, -1) : datagram;
          return { headers: header === '' ? {} : { [header]: address }, body };
        },
      },
      ctx,
    );
  },
};
