import type { SourceContext } from '@sluice/core';
import { DatagramSource } from '../datagram-source.js';
import { clientHostname, type ClientHeaderNames } from './client-headers.js';
import type { KeepFields } from './keep-fields.js';
import { parseSyslogMessage } from './syslog-message.js';

export { DROPPED_DATAGRAMS_COUNTER } from '../datagram-source.js';

/** Client host names remembered at most; past it they are all forgotten. */
const HOSTNAME_CACHE_SIZE = 1024;

export interface SyslogUdpSourceOptions extends ClientHeaderNames {
  readonly host: string;
  readonly port: number;
  readonly keepFields: KeepFields;
  readonly batchSize: number;
}

/**
 * Flume's syslogudp: each datagram is one syslog message (one trailing `\n` dropped), parsed as
 * parseSyslogMessage does, with the client's address and host name in headers when asked; batched
 * and dropped when the channels are full as every datagram source (DatagramSource).
 */
export class SyslogUdpSource extends DatagramSource {
  constructor(opts: SyslogUdpSourceOptions, ctx: SourceContext) {
    const hostnames = new Map<string, Promise<string>>();
    const hostname = (address: string): Promise<string> => {
      let name = hostnames.get(address);
      if (name === undefined) {
        if (hostnames.size >= HOSTNAME_CACHE_SIZE) hostnames.clear();
        name = clientHostname(address);
        hostnames.set(address, name);
      }
      return name;
    };
    super(
      {
        host: opts.host,
        port: opts.port,
        batchSize: opts.batchSize,
        what: 'syslog UDP',
        toEvent(datagram, address) {
          const message = datagram.length > 0 && datagram[datagram.length - 1] === 0x0a ? datagram.subarray(0, -1) : datagram;
          const event = parseSyslogMessage(message, false, { keepFields: opts.keepFields, now: Date.now() });
          if (opts.clientIPHeader !== '') event.headers[opts.clientIPHeader] = address;
          return event;
        },
        enrich:
          opts.clientHostnameHeader === ''
            ? undefined
            : (event, address) =>
                hostname(address).then((name) => {
                  event.headers[opts.clientHostnameHeader] = name;
                }),
      },
      ctx,
    );
  }
}
