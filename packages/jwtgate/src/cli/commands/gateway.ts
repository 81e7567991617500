import type { Command } from 'commander';
import { startTracing } from '../../lib/tracing/tracing.ts';
import { positiveWholeNumber } from '../parse-value.ts';

/** Registers `jwtgate gateway`: the reverse proxy that verifies tokens and applies route rules. */
export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('run the gateway: verify tokens, apply route rules, proxy to upstream services')
    .option('-c, --config <file>', 'configuration file', 'jwtgate.yaml')
    .option('-w, --workers <n>', 'processes sharing the port (node:cluster)', positiveWholeNumber, 1)
    .option(
      '--watch',
      'reload when the configuration file (or its Kubernetes ConfigMap volume) changes; SIGHUP always reloads',
      false,
    )
    .action(async (opts) => {
      // Off unless the OTEL_* variables ask for it; then loaded before the first request.
      await startTracing('jwtgate-gateway');
      const { runGateway } = await import('../../gateway/run-gateway.ts');
      await runGateway({ config: opts.config, workers: opts.workers, watch: opts.watch });
    });
}
