/**
 * `pnpm bench`: runs every benchmark of the registry (or those named on the command line), writes
 * `bench/results/<name>.json` and the results table `bench/results/README.md`. Short mode (`BENCH_SHORT=1`, or
 * `CI=true`) runs a few seconds per benchmark. Exits non-zero when a benchmark fails to run or a correctness
 * check (loss, duplicates) fails; a missed performance target is reported, not failed.
 */
import os from 'node:os';
import { BENCHMARKS, PENDING_BENCHMARKS } from './registry.js';
import { writeResult, writeResultsReadme } from './report.js';
import type { BenchMode, BenchResult } from './types.js';

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<number> {
  const mode: BenchMode = process.env.BENCH_SHORT === '1' || process.env.CI === 'true' ? 'short' : 'full';
  const only = process.argv.slice(2);
  const selected = only.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => only.includes(b.name));
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  let failures = 0;
  progress(`${mode} mode, ${selected.length} benchmark(s) on ${machine.cpus} x ${machine.cpuModel}`);
  for (const benchmark of selected) {
    progress(`${benchmark.name}: ${benchmark.title}`);
    const started = performance.now();
    try {
      const outcome = await benchmark.run({ mode, progress: (message) => progress(`  ${message}`) });
      const result: BenchResult = {
        name: benchmark.name,
        title: benchmark.title,
        targetText: benchmark.target,
        mode,
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - started),
        machine,
        ...outcome,
      };
      await writeResult(result);
      for (const f of outcome.figures) {
        progress(
          `  ${f.label}: ${f.subject} ${f.unit} vs baseline ${f.baseline} ${f.unit} (ratio ${f.ratio})`,
        );
      }
      for (const check of outcome.checks) {
        progress(`  ${check.passed ? 'pass' : 'FAIL'} ${check.name}: ${check.detail}`);
        if (!check.passed) failures += 1;
      }
      progress(
        `  target ${outcome.target.met ? 'met' : 'NOT met'}: ${outcome.target.detail} (${result.durationMs} ms)`,
      );
    } catch (error) {
      failures += 1;
      progress(`  FAILED to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  for (const pending of PENDING_BENCHMARKS) progress(`${pending.name}: ${pending.reason}`);
  await writeResultsReadme(PENDING_BENCHMARKS);
  progress('results: bench/results/*.json and bench/results/README.md');
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress(`bench failed: ${String(error)}`);
    process.exit(1);
  },
);
