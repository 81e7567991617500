import { Option } from 'commander';
import { ISSUER_DEFAULTS } from '../issuer/issuer-options.ts';

// Options that may also come from the environment, for container images and Kubernetes (values
// from Secrets): a URL that holds a password then never appears on the command line, which any
// process of the machine can read. The flag, when given, wins.

/** `--host` (JWTGATE_HOST): the container image sets 0.0.0.0, for published ports without a flag. */
export function hostOption(defaultHost: string): Option {
  return new Option('--host <host>', 'address to listen on').env('JWTGATE_HOST').default(defaultHost);
}

/** `--store` (JWTGATE_STORE): the issuer's SQLite file or PostgreSQL URL. */
export function storeOption(description: string): Option {
  return new Option('--store <file|url>', description)
    .env('JWTGATE_STORE')
    .default(ISSUER_DEFAULTS.storeFile);
}

/** `--issuer-url` (JWTGATE_ISSUER_URL). */
export function issuerUrlOption(): Option {
  return new Option(
    '--issuer-url <url>',
    'issuer identifier and base URL of every endpoint (default http://<host>:<port>)',
  ).env('JWTGATE_ISSUER_URL');
}

/** `--redis` (JWTGATE_REDIS_URL). */
export function redisOption(): Option {
  return new Option(
    '--redis <url>',
    "relay revocations to the gateways' Redis (redis:// or rediss://), for replicas sharing one",
  ).env('JWTGATE_REDIS_URL');
}
