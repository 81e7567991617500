import { isIPv6 } from 'node:net';

/** The 16-bit groups of an IPv6 address (no zone, no embedded IPv4), or null. */
function groups(address: string): string[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
}

/**
 * Whose connection this is, for the per-address cap: an IPv4 address as it is (IPv4-mapped IPv6
 * too); an IPv6 address by its /64, which one subscriber usually holds whole (RFC 6177), so
 * taking a fresh address from it gains nothing.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1] as string;
  if (!isIPv6(address) || address.includes('.')) return address;
  const g = groups(address.split('%')[0] as string);
  if (g === null) return address;
  return `${g
    .slice(0, 4)
    .map((x) => Number.parseInt(x, 16).toString(16))
    .join(':')}::/64`;
}
