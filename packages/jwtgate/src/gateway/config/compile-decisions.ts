import { BlockList, isIP } from 'node:net';
import type { ConfigProblems } from './config-source.ts';
import type { GatewaySection } from './types.ts';

/** The decision listener (`gateway.decisions`), compiled once. */
export interface CompiledDecisions {
  readonly listen: { readonly host: string; readonly port: number };
  /** The listener as the proxies reach it, for `jwtgate integrate`. */
  readonly url: string;
  /** The configured CIDRs, as written. */
  readonly trustedProxies: readonly string[];
  /** Whether a peer address may describe a request. */
  readonly trusts: (address: string | undefined) => boolean;
}

function parseListen(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}

/** Compiles `gateway.decisions` (null when absent); a malformed CIDR is a problem named by its path. */
export function compileDecisions(
  config: GatewaySection['decisions'],
  problems: ConfigProblems,
): CompiledDecisions | null {
  if (config === undefined) return null;
  const list = new BlockList();
  config.trusted_proxies.forEach((cidr, i) => {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      problems.add(['gateway', 'decisions', 'trusted_proxies', i], `"${cidr}" is not an address or CIDR`);
      return;
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  });
  const listen = parseListen(config.listen);
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return Object.freeze({
    listen,
    url: config.url ?? `http://${host}:${listen.port}`,
    trustedProxies: Object.freeze([...config.trusted_proxies]),
    trusts(address: string | undefined) {
      if (address === undefined) return false;
      // An IPv4 client of a dual-stack socket appears as ::ffff:a.b.c.d.
      const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : null;
      if (v4 !== null) return list.check(v4, 'ipv4');
      return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
    },
  });
}
