/** Flume's syslog sources: syslogtcp, syslogudp and multiport_syslogtcp. */
import { multiportSyslogTcpSource } from './multiport-syslog-tcp-factory.js';
import { syslogTcpSource } from './syslog-tcp-factory.js';
import { syslogUdpSource } from './syslog-udp-factory.js';

export { multiportSyslogTcpSource, syslogTcpSource, syslogUdpSource };
export { SyslogTcpSource } from './syslog-tcp-source.js';
export { SyslogUdpSource } from './syslog-udp-source.js';

/** The syslog source factories, for SOURCE_FACTORIES. */
export const SYSLOG_SOURCES = [syslogTcpSource, syslogUdpSource, multiportSyslogTcpSource] as const;
