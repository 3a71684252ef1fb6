import { SluiceError } from '@sluice/core';

/**
 * The error for a monitoring address that could not be bound: SLUICE_ERR_METRICS_PORT with a
 * message that says what happened in the operator's terms and what to do; the system error is
 * the `cause`.
 */
export function bindError(host: string, port: number, err: NodeJS.ErrnoException): SluiceError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const how = 'choose another with --metrics-port (or -Dflume.monitoring.port)';
  let message: string;
  switch (err.code) {
    case 'EADDRINUSE':
      message = `metrics port ${where} is in use by another process; stop that process or ${how}`;
      break;
    case 'EACCES':
      message = `metrics port ${where} is not allowed for this user (ports below 1024 need privileges); ${how}`;
      break;
    case 'EADDRNOTAVAIL':
      message = `metrics host ${host} is not an address of this machine; bind 127.0.0.1 or a local interface`;
      break;
    default:
      message = `metrics port ${where} could not be bound (${err.code ?? err.message}); ${how}`;
  }
  return new SluiceError('SLUICE_ERR_METRICS_PORT', message, { cause: err });
}
