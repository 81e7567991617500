import type { StepResult } from '../lib/explain-steps.ts';
import { bad, dim, ok } from './terminal.ts';

export { explainSteps, STEPS, type StepId, type StepResult, stepOfCode } from '../lib/explain-steps.ts';

/** One line per step: `  ✓ title: detail`, `  ✗ title: CODE explanation (detail)`, `  - title`. */
export function formatSteps(results: readonly StepResult[], indent = '  '): string {
  return results
    .map((r) => {
      if (r.status === 'passed')
        return `${indent}${ok('✓')} ${r.title}${r.detail ? dim(`: ${r.detail}`) : ''}`;
      if (r.status === 'failed') {
        const detail = r.detail ? ` (${r.detail})` : '';
        return `${indent}${bad('✗')} ${r.title}\n${indent}  ${bad(r.code ?? '')} ${r.explanation}${detail}`;
      }
      return dim(`${indent}- ${r.title} (not reached)`);
    })
    .join('\n')
    .concat('\n');
}
