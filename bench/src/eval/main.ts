/**
 * `pnpm eval`: the continuity evaluation. Runs the scripted conversations (108; `EVAL_SHORT=1` or `CI=true`:
 * 36) through the conversation engine with the offline driver, or against the Foundry project in
 * `FOUNDRY_PROJECT_ENDPOINT` (agents synced with `pnpm agents:sync`), writes `bench/results/continuity-eval*.{json,md}`
 * and prints the tables. Exits non-zero when the offline driver misses 100 % on any check.
 */
import { CHECKS } from './checks.js';
import { evalMarkdown, writeEvalReport } from './report.js';
import { backendFromEnv, runEval } from './run-eval.js';

const progress = (message: string) => process.stderr.write(`[eval] ${message}\n`);

async function main(): Promise<number> {
  const short = process.env.EVAL_SHORT === '1' || process.env.CI === 'true';
  const backend = backendFromEnv();
  progress(`${backend.kind} driver, ${short ? 'short' : 'full'} mode`);
  const report = await runEval({ short, backend, progress });
  const file = await writeEvalReport(report);
  process.stdout.write(evalMarkdown({ ...report, failures: report.failures.slice(0, 5) }));
  progress(`written: ${file}`);
  const perfect = CHECKS.every((check) => report.perCheck[check].rate === 1);
  if (backend.kind === 'offline' && !perfect) {
    progress('the offline driver must pass every check of every conversation');
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `[eval] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
