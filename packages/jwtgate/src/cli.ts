#!/usr/bin/env -S node --conditions=jwtgate-source
import { readFileSync } from 'node:fs';
import { JwtGateError } from '@jwtgate/verify';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo/run-demo.ts';
import { ConfigError } from './gateway/errors.ts';
import { runGateway } from './gateway/run-gateway.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of seconds >= 1');
  return n;
}

const program = new Command()
  .name('jwtgate')
  .description('Secure microservices with JSON Web Tokens')
  .version(version)
  .showHelpAfterError();

program
  .command('demo')
  .description("run the tutorial's walkthrough: a token server and a protected service, on embedded defaults")
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--issuer-port <port>', 'token server port', port, 8080)
  .option('--gateway-port <port>', 'protected service port', port, 9001)
  .option('--token-lifetime <seconds>', 'lifetime of issued tokens', seconds, 60)
  .option('--data-dir <dir>', 'where generated secrets are kept', '.data/demo')
  .action(async (opts) => {
    const demo = await runDemo(opts);
    const stop = () => {
      demo.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('gateway')
  .description('run the gateway: verify tokens, apply route rules, proxy to upstream services')
  .option('-c, --config <file>', 'configuration file', 'jwtgate.yaml')
  .option(
    '-w, --workers <n>',
    'processes sharing the port (node:cluster)',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
      return n;
    },
    1,
  )
  .option('--watch', 'reload when the configuration file changes (SIGHUP always reloads)', false)
  .action(async (opts) => {
    await runGateway({ config: opts.config, workers: opts.workers, watch: opts.watch });
  });

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof JwtGateError ? (err.detail ?? err.message) : (err as Error).message;
  process.stderr.write(`jwtgate: ${message}\n`);
  // 78 (EX_CONFIG): the configuration is wrong; 1: anything else.
  const isConfig =
    (err instanceof JwtGateError && err.code === 'ERR_OPTIONS_INVALID') || err instanceof ConfigError;
  process.exit(isConfig ? 78 : 1);
});
