import { createServer } from 'node:http';
import pino, { type Logger } from 'pino';
import { loadKeyEncryptionKey } from '../store/key-encryption.ts';
import { checkAdminToken } from './admin/admin-api.ts';
import { createIssuer } from './create-issuer.ts';
import { IssuerError } from './errors.ts';
import { type IssuerOptionsInput, resolveIssuerOptions } from './issuer-options.ts';
import { openStore } from './open-store.ts';
import { createTutorialHandler, readTutorialSecret } from './tutorial/tutorial-server.ts';

export type RunIssuerOptions = IssuerOptionsInput & { readonly tutorial?: boolean };

export interface RunningIssuer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** `jwtgate issuer --tutorial`: the tutorial's HS256 token server on its own, nothing else. */
async function runTutorial(
  options: RunIssuerOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<RunningIssuer> {
  // Refused here, before any port opens, when SECRET_KEY is missing or short.
  const secret = readTutorialSecret(env);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(createTutorialHandler(secret, log.child({ mode: 'tutorial' })));
  const port = await new Promise<number>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new Error(`cannot listen on ${host}:${options.port ?? 8080}: ${err.code ?? err.message}`)),
    );
    server.listen(options.port ?? 8080, host, () => ok((server.address() as { port: number }).port));
  });
  const url = `http://${host}:${port}`;
  log.info({ url, mode: 'tutorial' }, 'tutorial issuer ready (HS256 with SECRET_KEY; GET / returns a token)');
  return {
    url,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * `jwtgate issuer`: the OAuth 2.0 client credentials issuer on a store file, or with `tutorial`
 * the tutorial's token server. Configuration problems are IssuerErrors (ERR_ISSUER_CONFIG)
 * raised before any port opens.
 *
 * @example
 * const issuer = await runIssuer({ issuerUrl: 'http://127.0.0.1:8080', port: 8080, storeFile: '.data/issuer.db' });
 * // ... later
 * await issuer.close();
 */
export async function runIssuer(
  options: RunIssuerOptions,
  env: NodeJS.ProcessEnv = process.env,
  log: Logger = pino({ name: 'jwtgate-issuer', level: env.LOG_LEVEL ?? 'info' }),
): Promise<RunningIssuer> {
  if (options.tutorial) return runTutorial(options, env, log);
  const adminToken =
    env.JWTGATE_ADMIN_TOKEN === undefined || env.JWTGATE_ADMIN_TOKEN === '' ? null : env.JWTGATE_ADMIN_TOKEN;
  if (adminToken !== null) checkAdminToken(adminToken);
  const resolved = resolveIssuerOptions({ ...options, adminToken });
  let kek: Buffer | null;
  try {
    kek = loadKeyEncryptionKey(env);
  } catch (err) {
    throw new IssuerError('ERR_ISSUER_CONFIG', (err as Error).message);
  }
  const store = await openStore(resolved.storeFile);
  const issuer = createIssuer(resolved, { store, log, kek });
  try {
    const { port } = await issuer.start();
    if (kek === null)
      log.warn('JWTGATE_KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted');
    return {
      url: resolved.issuerUrl,
      port,
      close: async () => {
        await issuer.close();
        await store.close();
      },
    };
  } catch (err) {
    await issuer.close().catch(() => {});
    await store.close();
    throw err;
  }
}
