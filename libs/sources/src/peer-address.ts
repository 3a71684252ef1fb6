/** An IPv4 address as it reads on a dual-stack socket (`::ffff:10.0.0.1`), in its usual form. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
