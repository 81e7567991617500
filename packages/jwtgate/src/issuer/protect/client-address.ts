import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

const ADDRESS = Symbol('jwtgate.clientAddress');
type Tagged = IncomingMessage & { [ADDRESS]?: string };

/** `::ffff:192.0.2.1` is 192.0.2.1: one spelling per client for the throttles. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Reads `--trust-proxy`: addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`) of the proxies in
 * front of the issuer whose `X-Forwarded-For` is believed. Throws on an entry that is neither.
 */
export function trustedProxies(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)))
      throw new Error(`trusted proxy: expected an IP address or CIDR range, got "${entry}"`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

const isTrusted = (list: BlockList, address: string) =>
  list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

/**
 * Decides once per request which address the throttles, lock-outs and audit log see: the peer,
 * or, when the peer is a trusted proxy, the nearest `X-Forwarded-For` hop that is not one (walked
 * from the right, so a client cannot choose it by writing the header itself).
 */
export function tagClientAddress(req: IncomingMessage, trusted: BlockList | null): void {
  const peer = plain(req.socket.remoteAddress ?? '');
  let address = peer;
  if (trusted !== null && isIP(peer) !== 0 && isTrusted(trusted, peer)) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plain((hops[i] as string).trim());
      if (isIP(hop) === 0) break;
      address = hop;
      if (!isTrusted(trusted, hop)) break;
    }
  }
  (req as Tagged)[ADDRESS] = address;
}

/** The client's address as tagClientAddress decided it (the peer's when it did not run). */
export function clientAddress(req: IncomingMessage): string {
  return (req as Tagged)[ADDRESS] ?? plain(req.socket.remoteAddress ?? '');
}
