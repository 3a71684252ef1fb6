import { reverse } from 'node:dns/promises';

/** How long a reverse lookup of a client's address may take before its IP stands for its name. */
const REVERSE_LOOKUP_TIMEOUT_MS = 2000;

/** The header names a syslog source adds about its client (an empty name: not added). */
export interface ClientHeaderNames {
  readonly clientIPHeader: string;
  readonly clientHostnameHeader: string;
}

export { plainAddress } from '../peer-address.js';

/**
 * The client's host name by reverse DNS, or its address when there is none within two seconds
 * (as Java's `getHostName` answers the address). Never rejects.
 */
export async function clientHostname(address: string): Promise<string> {
  if (address === '') return '';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(address), REVERSE_LOOKUP_TIMEOUT_MS)));
  const lookup = reverse(address).then(
    (names) => names[0] ?? address,
    () => address,
  );
  const name = await Promise.race([lookup, timeout]);
  clearTimeout(timer);
  return name;
}

/**
 * The client headers of one client: `clientIPHeader` and `clientHostnameHeader` when named,
 * resolving the name only when it is asked for.
 */
export async function clientHeaders(names: ClientHeaderNames, address: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  if (names.clientIPHeader !== '') headers[names.clientIPHeader] = address;
  if (names.clientHostnameHeader !== '') headers[names.clientHostnameHeader] = await clientHostname(address);
  return headers;
}
