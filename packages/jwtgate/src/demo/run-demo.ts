import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/create-gateway.ts';
import { createIssuer, type Issuer } from '../issuer/create-issuer.ts';
import { IssuerError } from '../issuer/errors.ts';
import { resolveIssuerOptions } from '../issuer/issuer-options.ts';
import { openStore } from '../issuer/open-store.ts';
import { readTutorialSecret } from '../issuer/tutorial/tutorial-server.ts';
import { loadKeyEncryptionKey } from '../store/key-encryption.ts';
import type { Store } from '../store/types.ts';
import { DEMO_CLIENT, seedDemoClient } from './demo-client.ts';
import { demoKeyEncryptionEnv, loadDemoSecret, SECRET_FROM_ENV } from './demo-secret.ts';
import { type DemoServices, startDemoServices } from './demo-services.ts';
import { gatewayCommand, writeGatewayConfig } from './gateway-config.ts';
import { reservePort } from './listen.ts';
import { walkthroughBanner } from './walkthrough-banner.ts';

export interface DemoOptions {
  readonly host: string;
  readonly issuerPort: number;
  readonly gatewayPort: number;
  /** Lifetime of the tutorial's tokens (GET /); the OAuth access tokens live 5 minutes. */
  readonly tokenLifetime: number;
  readonly dataDir: string;
  /**
   * Start the gateway too (default). Without it the demo writes the gateway's configuration and
   * prints the command that runs it, for a gateway started on its own (`jwtgate gateway`).
   */
  readonly gateway?: boolean;
}

export interface RunningDemo {
  readonly issuerUrl: string;
  readonly gatewayUrl: string;
  close(): Promise<void>;
}

/** OAuth access tokens of the demo client: long enough for the "go further" steps. */
const ACCESS_TOKEN_LIFETIME_SECONDS = 300;

/**
 * The whole walkthrough in one process: the issuer (the tutorial's `GET /` token plus its OAuth
 * endpoints) on the issuer port, the gateway on the gateway port, and the tutorial, billing and
 * inventory services behind it. Everything it generates (SECRET_KEY unless set, the key
 * encryption key, the SQLite store with the signing keys, the demo client's secret, the gateway
 * config) is kept in the data folder. A short SECRET_KEY or a taken port stops it before anything
 * listens.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const log = pino({ name: 'jwtgate-demo', level: process.env.LOG_LEVEL ?? 'info' });
  const dataDir = resolve(options.dataDir);
  const { secret, origin } = loadDemoSecret(dataDir, process.env);
  readTutorialSecret({ SECRET_KEY: secret });
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const loopback = options.host === '::' ? '[::1]' : '127.0.0.1';
  const issuerPort = await reservePort(options.host, options.issuerPort, '--issuer-port');
  const ownGateway = options.gateway !== false;
  const gatewayPort = ownGateway
    ? await reservePort(options.host, options.gatewayPort, '--gateway-port')
    : options.gatewayPort;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let kek: Buffer | null;
  try {
    kek = loadKeyEncryptionKey(demoKeyEncryptionEnv(dataDir, process.env));
  } catch (err) {
    throw new IssuerError('ERR_ISSUER_CONFIG', (err as Error).message);
  }

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const store: Store = await openStore(join(dataDir, 'issuer.db'));
    stops.push(() => store.close());
    const client = await seedDemoClient(store, dataDir);
    const issuerOptions = resolveIssuerOptions({
      host: options.host,
      port: issuerPort,
      // Listening on every address (in a container), the issuer is still named by a loopback URL:
      // its `iss`, and where the gateway fetches its keys and follows its feed (plain http is
      // allowed only to loopback).
      ...(wildcard ? { issuerUrl: `http://${loopback}:${issuerPort}` } : {}),
      storeFile: join(dataDir, 'issuer.db'),
      tokenLifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS,
    });
    const issuer: Issuer = createIssuer(issuerOptions, {
      store,
      kek,
      log: log.child({ service: 'issuer' }),
      tutorial: { secret, lifetimeSeconds: options.tokenLifetime },
    });
    stops.push(() => issuer.close());
    await issuer.start();
    const services: DemoServices = await startDemoServices();
    stops.push(() => services.close());
    const secretFile = origin === SECRET_FROM_ENV ? null : join(dataDir, 'secret-key');
    const configFile = writeGatewayConfig(dataDir, {
      host: options.host,
      gatewayPort,
      issuerUrl: issuerOptions.issuerUrl,
      services,
      secretFile,
    });
    if (ownGateway) {
      const gateway: Gateway = createGateway({
        configFile,
        env: { ...process.env, SECRET_KEY: secret },
        logger: log.child({ service: 'gateway' }),
      });
      stops.push(() => gateway.close(1000));
      await gateway.start();
    }

    const shown = options.host === '127.0.0.1' || wildcard ? 'localhost' : options.host;
    const issuerUrl = `http://${shown}:${issuerPort}`;
    const gatewayUrl = `http://${shown}:${gatewayPort}`;
    log.info({ issuerUrl, gatewayUrl, secret: origin, data: dataDir, gateway: ownGateway }, 'ready');
    process.stdout.write(
      walkthroughBanner({
        issuerUrl,
        gatewayUrl,
        tokenLifetime: options.tokenLifetime,
        clientId: client.id,
        secretFile: client.secretFile,
        audience: DEMO_CLIENT.audience,
        secretCreated: client.secret !== null,
        gatewayCommand: ownGateway ? null : gatewayCommand(configFile, secretFile),
      }),
    );
    return {
      issuerUrl,
      gatewayUrl,
      close: async () => {
        await stopAll();
        log.info('stopped');
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
