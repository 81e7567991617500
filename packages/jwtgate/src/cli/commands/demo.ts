import type { Command } from 'commander';
import { hostOption } from '../env-options.ts';
import { port, seconds } from '../parse-value.ts';
import { stopOnSignals } from '../stop-on-signals.ts';

/** Registers `jwtgate demo`: the walkthrough (issuer, gateway, example services) in one process. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the walkthrough: the issuer (tutorial token and OAuth), the gateway and example services, on embedded defaults',
    )
    .addOption(hostOption('127.0.0.1'))
    .option('--issuer-port <port>', 'issuer port (tutorial token at GET /, OAuth endpoints)', port, 8080)
    .option('--gateway-port <port>', 'gateway port (the protected services)', port, 9001)
    .option('--token-lifetime <seconds>', "lifetime of the tutorial's tokens (GET /)", seconds, 60)
    .option(
      '--data-dir <dir>',
      'where generated secrets, keys, the store and the config are kept',
      '.data/demo',
    )
    .option(
      '--no-gateway',
      'do not start the gateway: write its configuration and print the command that runs it (jwtgate gateway)',
    )
    .action(async (opts) => {
      // Each server is loaded only by its command: an administration command starts fast and alone.
      const { runDemo } = await import('../../demo/run-demo.ts');
      const demo = await runDemo(opts);
      stopOnSignals(() => demo.close());
    });
}
