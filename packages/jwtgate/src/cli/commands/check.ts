import type { IncomingMessage } from 'node:http';
import {
  type JwtGateError,
  type Requirement,
  type TokenSource,
  toJwtGateError,
  type VerifiedToken,
} from '@jwtgate/verify';
import type { Command } from 'commander';
import type { CompiledGateway } from '../../gateway/config/compile-gateway.ts';
import type { GatewayConfig, RouteConfig } from '../../gateway/config/types.ts';
import { ConfigError } from '../../gateway/errors.ts';
import { requestHost } from '../../gateway/routes/host-pattern.ts';
import { createRecord } from '../../lib/own-record.ts';
import { explainSteps, formatSteps, type StepResult } from '../explain-steps.ts';
import { readToken } from '../read-input.ts';
import { bad, bold, dim, ok, printJson } from '../terminal.ts';
import { UsageError } from '../usage-error.ts';

const METHOD = /^[A-Z]+$/;

function sourceKey(s: TokenSource): string {
  return JSON.stringify(s);
}

function describeSource(s: TokenSource): string {
  if ('bearer' in s) return 'Authorization: Bearer <token>';
  if ('header' in s) return `${s.header}: ${s.prefix ? `${s.prefix} ` : ''}<token>`;
  if ('cookie' in s) return `cookie ${s.cookie}=<token>`;
  return `query parameter ${s.query}=<token>`;
}

/**
 * Where the CLI puts the given token: one source every provider of the route reads, if there is
 * one, else each provider's first source (a provider that reads several of them then sees two tokens).
 */
function placeToken(lists: readonly (readonly TokenSource[])[]): TokenSource[] {
  const first = lists[0] ?? [];
  const common = first.find((s) => lists.every((l) => l.some((t) => sourceKey(t) === sourceKey(s))));
  if (common) return [common];
  const picked = new Map<string, TokenSource>();
  for (const l of lists) if (l[0]) picked.set(sourceKey(l[0]), l[0]);
  return [...picked.values()];
}

/** A request as node would hand it to the gateway, carrying the token in `sources`. */
function fakeRequest(
  method: string,
  host: string,
  path: string,
  token: string | undefined,
  sources: readonly TokenSource[],
) {
  // Header names come from the configuration: a record without a prototype holds any of them.
  const headers = createRecord<string>();
  headers.host = host;
  let url = path;
  if (token !== undefined) {
    for (const s of sources) {
      if ('bearer' in s) headers.authorization = `Bearer ${token}`;
      else if ('header' in s) headers[s.header.toLowerCase()] = s.prefix ? `${s.prefix} ${token}` : token;
      else if ('cookie' in s)
        headers.cookie = `${headers.cookie ? `${headers.cookie}; ` : ''}${s.cookie}=${token}`;
      else
        url += `${url.includes('?') ? '&' : '?'}${encodeURIComponent(s.query)}=${encodeURIComponent(token)}`;
    }
  }
  return {
    method,
    url,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

interface ProviderReport {
  readonly provider: string;
  readonly steps: StepResult[];
}

/** Verifies the token for one provider of the route, as the route's authenticate step does, and lays out the steps. */
async function explainProvider(
  g: CompiledGateway,
  provider: string,
  token: string,
  requirement: Requirement,
  hasRevocation: boolean,
): Promise<ProviderReport> {
  let outcome: { verified: VerifiedToken } | { error: JwtGateError };
  try {
    const verified = await g.verifier.verify(token, { providers: [provider] });
    g.verifier.compileRequirement(provider, requirement)(verified.claims);
    outcome = { verified };
  } catch (err) {
    outcome = { error: toJwtGateError(err) };
  }
  const ids = ['parse', 'issuer', 'algorithm', 'key', 'signature', 'claims'] as const;
  const steps = explainSteps(outcome, [
    ...ids,
    ...(hasRevocation ? (['revocation'] as const) : []),
    'authorization',
  ]);
  return { provider, steps };
}

function requirementOf(r: RouteConfig): Requirement {
  const q = r.requires;
  if (q === undefined) return {};
  return {
    ...(q.roles_any ? { rolesAny: q.roles_any } : {}),
    ...(q.roles_all ? { rolesAll: q.roles_all } : {}),
    ...(q.scopes_any ? { scopesAny: q.scopes_any } : {}),
    ...(q.scopes_all ? { scopesAll: q.scopes_all } : {}),
  };
}

async function explainRequest(
  g: CompiledGateway,
  config: GatewayConfig,
  opts: { method: string; host: string; path: string; token: string | undefined; json: boolean },
): Promise<boolean> {
  const { prepareUpstream } = await import('../../gateway/pipeline/prepare-upstream.ts');
  const { matchingRoutes } = await import('../../gateway/routes/match-route.ts');
  const { explainPrecedence } = await import('../../gateway/routes/route-specificity.ts');
  const { method, path, token } = opts;
  const host = requestHost(opts.host) ?? '';
  const lines: string[] = [];
  const report: Record<string, unknown> = { method, host: host || null, path };
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  const match = g.match(method, host, bare);
  const candidates = matchingRoutes(g.routes, host, bare);
  const routeConfig = match.route
    ? config.gateway.routes.find((r) => r.name === match.route?.name)
    : undefined;
  const q2 = routeConfig?.requires;
  const providers = q2 ? (q2.provider ? [q2.provider] : (q2.any ?? q2.all ?? [])) : [];
  const lists = providers.map((p) => config.gateway.providers[p]?.token_from ?? []);
  const sources = placeToken(lists);
  // The one decision that counts comes from the gateway's own pipeline, on a request built from the arguments.
  const decision = await prepareUpstream(
    fakeRequest(method, opts.host, path, token, sources),
    g,
    'check',
    Date.now,
  );

  if (!decision.ok && decision.reason === 'ERR_PATH_INVALID') {
    lines.push(
      `${bad('✗')} path safety: ${bare} holds a dot segment, ';', a backslash, an encoded slash or //`,
    );
    report.path_safe = false;
  } else {
    lines.push(`${ok('✓')} path safety`);
    report.path_safe = true;
    if (match.route === null) {
      const why =
        match.allowed === null
          ? `no route matches ${host ? `host ${host} and ` : ''}the path`
          : `the most specific route for the path (${candidates[0]?.name}) allows only ${match.allowed.join(', ')}`;
      lines.push(`${bad('✗')} route: ${why}`);
    } else {
      const r = match.route;
      report.route = r.name;
      lines.push(
        `${ok('✓')} route: ${r.name} (${r.host.source ?? 'any host'} ${r.pattern.source}${r.methods ? ` ${[...r.methods].join(',')}` : ''}${r.priority ? ` priority ${r.priority}` : ''})`,
      );
      // Why it won: every other route matching the host and path, and what put this one first.
      const beaten = candidates.filter((c) => c !== r);
      report.precedence = beaten.map((c) => ({ over: c.name, why: explainPrecedence(r, c) }));
      for (const c of beaten)
        lines.push(
          `  won over ${c.name} (${c.host.source ?? 'any host'} ${c.pattern.source}): ${explainPrecedence(r, c)}`,
        );
      if (r.public) {
        lines.push(`${ok('✓')} public route: no token needed`);
      } else {
        const mode = q2?.all ? 'all of' : providers.length > 1 ? 'any of' : '';
        lines.push(`  providers: ${mode ? `${mode} ` : ''}${providers.join(', ')}`);
        report.providers = providers;
        if (token === undefined) {
          lines.push(`${bad('✗')} token: none given (--token or --token-file)`);
        } else {
          lines.push(`  token: from the command line, sent as ${sources.map(describeSource).join(' and ')}`);
          const reports: ProviderReport[] = [];
          for (const p of providers) {
            const rep = await explainProvider(
              g,
              p,
              token,
              requirementOf(routeConfig as RouteConfig),
              config.gateway.revocation !== undefined,
            );
            reports.push(rep);
            lines.push(`  provider ${bold(p)}:`, formatSteps(rep.steps, '    ').trimEnd());
          }
          report.verification = reports;
          if (config.gateway.revocation)
            lines.push(dim('  (check does not follow the revocation feed: revocation is shown as passed)'));
        }
      }
    }
  }
  if (decision.ok) {
    const upstream = `${decision.target.origin ?? ''}${decision.path}`;
    const identity = Object.fromEntries(
      Object.entries(decision.headers).filter(
        ([k]) => g.reservedHeaders.has(k) || k.startsWith(g.reservedPrefix),
      ),
    );
    report.decision = {
      allow: true,
      status: 'forwarded',
      route: decision.route.name,
      upstream,
      identity_headers: identity,
    };
    lines.push(`${ok('ALLOW')}: forwarded to ${upstream}`);
    for (const [k, v] of Object.entries(identity)) lines.push(`  ${k}: ${v}`);
  } else {
    report.decision = {
      allow: false,
      status: decision.status,
      code: decision.reason,
      ...(decision.headers.allow ? { allow: decision.headers.allow } : {}),
    };
    lines.push(`${bad('DENY')}: ${decision.status} ${decision.reason}`);
    if (decision.headers['www-authenticate'])
      lines.push(`  WWW-Authenticate: ${decision.headers['www-authenticate']}`);
  }
  if (opts.json) printJson({ config: 'valid', ...report });
  else process.stdout.write(`${lines.join('\n')}\n`);
  return decision.ok;
}

/** Registers `jwtgate check`: validate a configuration, and explain the decision on one request. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'validate a gateway configuration; with --path (and a token), explain the decision on that request',
    )
    .option('-c, --config <file>', 'configuration file', 'jwtgate.yaml')
    .option('--method <method>', 'request method', 'GET')
    .option('--path <path>', 'request path (and query)')
    .option(
      '--host <host>',
      'request host (Host header); routes with a host match only theirs',
      'jwtgate-check',
    )
    .option('--token <token>', 'the token the request carries')
    .option('--token-file <file>', 'read the token from a file')
    .option('--json', 'print JSON', false)
    .addHelpText(
      'after',
      '\nExit codes: 0 valid (and the request would be forwarded), 1 the request would be denied, 2 usage, 78 invalid configuration.',
    )
    .action(async (opts) => {
      const method = String(opts.method).toUpperCase();
      if (!METHOD.test(method)) throw new UsageError(`--method: not a method: ${opts.method}`);
      if (opts.path !== undefined && !String(opts.path).startsWith('/'))
        throw new UsageError('--path must start with /');
      if (requestHost(String(opts.host)) === null || requestHost(String(opts.host)) === '')
        throw new UsageError(`--host: not a host name: ${opts.host}`);
      if ((opts.token !== undefined || opts.tokenFile !== undefined) && opts.path === undefined)
        throw new UsageError('--token needs --path (and --method)');
      const token =
        opts.token !== undefined || opts.tokenFile !== undefined
          ? readToken(opts.token, opts.tokenFile)
          : undefined;
      const { readConfig } = await import('../../gateway/config/read-config.ts');
      const { compileGateway } = await import('../../gateway/config/compile-gateway.ts');
      const { RevocationList } = await import('../../gateway/state/revocation-list.ts');
      let config: GatewayConfig;
      let g: CompiledGateway;
      try {
        const loaded = readConfig(opts.config);
        config = loaded.config;
        g = compileGateway(loaded, { revocations: new RevocationList() });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (opts.json) printJson({ config: 'invalid', file: opts.config, problems: err.problems });
        else process.stderr.write(`${err.message}\n`);
        process.exitCode = 78;
        return;
      }
      {
        if (opts.path === undefined) {
          const providers = Object.keys(config.gateway.providers);
          if (opts.json)
            printJson({ config: 'valid', file: opts.config, providers, routes: g.routes.map((r) => r.name) });
          else {
            process.stdout.write(
              `${ok('✓')} ${opts.config} is valid: ${providers.length} provider(s), ${g.routes.length} route(s)\n` +
                g.routes
                  .map(
                    (r) =>
                      `  ${r.name}: ${r.methods ? [...r.methods].join(',') : 'any method'} ${r.host.source ? `${r.host.source} ` : ''}${r.pattern.source}${r.public ? ` ${dim('(public)')}` : ''}`,
                  )
                  .join('\n') +
                '\n',
            );
          }
          return;
        }
        const allowed = await explainRequest(g, config, {
          method,
          host: String(opts.host),
          path: opts.path,
          token,
          json: opts.json,
        });
        process.exitCode = allowed ? 0 : 1;
      }
    });
}
