import { Option } from 'commander';

/**
 * `--host <host>`, also read from JWTGATE_HOST: the container image sets it to 0.0.0.0, so the
 * issuer and the demo are reachable through published ports without a flag.
 */
export function hostOption(defaultHost: string): Option {
  return new Option('--host <host>', 'address to listen on').env('JWTGATE_HOST').default(defaultHost);
}
