import type { Command } from 'commander';
import { readConfig } from '../../gateway/config/read-config.ts';
import { integrationSpec } from '../../gateway/decide/integration-spec.ts';
import { PROXY_SNIPPETS } from '../../gateway/decide/snippets/proxy-snippets.ts';
import { port } from '../parse-value.ts';
import { UsageError } from '../usage-error.ts';

/**
 * Only names and addresses are read: a `${VAR}` the file uses for a secret need not be set to
 * print a proxy's configuration, so unset variables read as a placeholder.
 */
const PLACEHOLDER_ENV = new Proxy(process.env, {
  get: (env, name) => (typeof name === 'string' ? (env[name] ?? 'unset') : undefined),
});

/** Registers `jwtgate integrate <proxy>`: prints the proxy configuration that asks the decision listener. */
export function registerIntegrateCommand(program: Command): void {
  program
    .command('integrate')
    .description(
      "print the configuration for a proxy in front (nginx, traefik, caddy, envoy, ingress-nginx) that asks the gateway's decision listener (gateway.decisions) about every request and copies the identity headers",
    )
    .argument('<proxy>', Object.keys(PROXY_SNIPPETS).join(' | '))
    .option('-c, --config <file>', 'configuration file', 'jwtgate.yaml')
    .option('--upstream <url>', 'where the proxy sends allowed requests', 'http://127.0.0.1:8000')
    .option('--listen <port>', "the proxy's port in the printed configuration", port, 8080)
    .action((proxy: string, opts: { config: string; upstream: string; listen: number }) => {
      const snippet = PROXY_SNIPPETS[proxy];
      if (snippet === undefined || !Object.hasOwn(PROXY_SNIPPETS, proxy))
        throw new UsageError(
          `unknown proxy "${proxy}": expected one of ${Object.keys(PROXY_SNIPPETS).join(', ')}`,
        );
      if (!/^https?:\/\/[^/]+$/.test(opts.upstream))
        throw new UsageError('--upstream: expected an http(s) origin such as http://127.0.0.1:8000');
      const { config } = readConfig(opts.config, PLACEHOLDER_ENV);
      process.stdout.write(
        snippet(integrationSpec(config, opts.config, { upstream: opts.upstream, listenPort: opts.listen })),
      );
    });
}
