import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { createVerifier } from '@jwtgate/verify';
import { withJwt } from '@jwtgate/verify/node-http';
import pino from 'pino';
import { mintTutorialToken, TUTORIAL } from '../issuer/tutorial/tutorial-token.ts';
import { loadDemoSecret } from './demo-secret.ts';
import { listen } from './listen.ts';

export interface DemoOptions {
  readonly host: string;
  readonly issuerPort: number;
  readonly gatewayPort: number;
  readonly tokenLifetime: number;
  readonly dataDir: string;
}

export interface RunningDemo {
  readonly issuerUrl: string;
  readonly gatewayUrl: string;
  close(): Promise<void>;
}

/**
 * The tutorial, fixed: a token server (HS256, the tutorial's claims, exp one minute) and a
 * protected service that verifies the `Token` header or `Authorization: Bearer` with
 * @jwtgate/verify: 401 with RFC 6750 headers instead of a 200 with an error text, iss and aud
 * required, an empty or short secret refused at start.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const log = pino({ name: 'jwtgate-demo' });
  const dataDir = resolve(options.dataDir);
  const { secret, origin } = loadDemoSecret(dataDir, process.env);
  // Fails here, before any port opens, when the secret is empty or shorter than 32 bytes.
  const verifier = createVerifier({
    providers: {
      tutorial: {
        issuer: TUTORIAL.issuer,
        audiences: [TUTORIAL.audience],
        algorithms: ['HS256'],
        // From the environment, name the variable in any error; otherwise the generated file.
        secret: process.env.SECRET_KEY !== undefined ? { env: 'SECRET_KEY' } : secret,
      },
    },
  });

  const issuer = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/') !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    mintTutorialToken(secret, options.tokenLifetime).then(
      (token) => {
        log.info({ service: 'issuer', status: 200, client: TUTORIAL.client }, 'token issued');
        res
          .writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end(token);
      },
      (err: Error) => {
        log.error({ service: 'issuer', err: err.message }, 'token not issued');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error\n');
      },
    );
  });

  const gateway = createServer(
    withJwt(
      {
        verifier,
        tokenFrom: [{ header: 'Token' }, { bearer: true }],
        onDenied: (err, req) =>
          log.info({ service: 'gateway', path: req.url, status: err.status, reason: err.code }, 'denied'),
      },
      (req, res) => {
        log.info(
          { service: 'gateway', path: req.url, status: 200, client: req.auth.claims.client },
          'allowed',
        );
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Super Secret Information');
      },
    ),
  );

  const servers: Server[] = [issuer, gateway];
  try {
    const issuerPort = await listen(issuer, options.host, options.issuerPort, '--issuer-port');
    const gatewayPort = await listen(gateway, options.host, options.gatewayPort, '--gateway-port');
    const host = options.host === '127.0.0.1' ? 'localhost' : options.host;
    const issuerUrl = `http://${host}:${issuerPort}`;
    const gatewayUrl = `http://${host}:${gatewayPort}`;
    log.info({ issuerUrl, gatewayUrl, secret: origin }, 'ready');
    process.stdout.write(
      [
        '',
        'jwtgate demo is ready. Try the walkthrough:',
        `  TOKEN=$(curl -s ${issuerUrl})`,
        `  curl ${gatewayUrl}                                    # 401 No Authorization Token provided`,
        `  curl ${gatewayUrl} --header "Token: $TOKEN"           # Super Secret Information`,
        `  curl ${gatewayUrl} --header "Authorization: Bearer $TOKEN"`,
        `  (tokens expire after ${options.tokenLifetime} s; then the same call answers 401 "The token has expired")`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    return {
      issuerUrl,
      gatewayUrl,
      close: async () => {
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      },
    };
  } catch (err) {
    for (const s of servers) if (s.listening) s.close();
    throw err;
  }
}
