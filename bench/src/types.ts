/** How long and how hard to run: `short` in CI (`BENCH_SHORT=1` or `CI=true`), `full` otherwise. */
export type BenchMode = 'short' | 'full';

/** What a benchmark gets to run with. */
export interface BenchContext {
  readonly mode: BenchMode;
  /** One line of progress on stderr. */
  progress(message: string): void;
}

/** One measured figure: the subject against its baseline from the same run. */
export interface Figure {
  /** e.g. `requests/s` or `p99 at 50 turns/s`. */
  readonly label: string;
  readonly unit: string;
  readonly subject: number;
  readonly baseline: number;
  /** subject / baseline. */
  readonly ratio: number;
  /** Which way is better for this figure. */
  readonly better: 'higher' | 'lower';
}

/** Outcome of a benchmark's own correctness checks (no loss, no duplicates...). */
export interface Check {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** What a benchmark returns. */
export interface BenchOutcome {
  readonly subject: string;
  readonly baseline: string;
  readonly figures: readonly Figure[];
  readonly checks: readonly Check[];
  /** Whether the ARCHITECTURE.md section 9 target is met by this run, with the reason. */
  readonly target: { readonly met: boolean; readonly detail: string };
  /** Anything a reader needs to interpret the numbers (load shape, durations). */
  readonly setup: Record<string, unknown>;
}

/** One benchmark: one file under `src/benchmarks/`, listed in `src/registry.ts`. */
export interface Benchmark {
  /** File-safe name; results go to `bench/results/<name>.json`. */
  readonly name: string;
  readonly title: string;
  /** The target, as ARCHITECTURE.md section 9 states it. */
  readonly target: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}

/** A benchmark that cannot be measured yet (its service is not on this branch); shown as such, never faked. */
export interface PendingBenchmark {
  readonly name: string;
  readonly title: string;
  readonly target: string;
  readonly reason: string;
}

/** What `bench/results/<name>.json` holds. */
export interface BenchResult extends BenchOutcome {
  readonly name: string;
  readonly title: string;
  readonly targetText: string;
  readonly mode: BenchMode;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    readonly platform: string;
  };
}

/** Builds a figure, computing the ratio. */
export function figure(
  label: string,
  unit: string,
  subject: number,
  baseline: number,
  better: Figure['better'],
): Figure {
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    label,
    unit,
    subject: round(subject),
    baseline: round(baseline),
    ratio: baseline === 0 ? Number.NaN : Math.round((subject / baseline) * 1000) / 1000,
    better,
  };
}
