import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { BenchResult, PendingBenchmark } from './types.js';

/** `bench/results/` (next to `dist/` and `src/`). */
export const RESULTS_DIR = new URL('../results/', import.meta.url);

/** Writes `results/<name>.json`. */
export async function writeResult(result: BenchResult): Promise<void> {
  await writeFile(new URL(`${result.name}.json`, RESULTS_DIR), `${JSON.stringify(result, null, 2)}\n`);
}

/** Every benchmark result in `results/*.json`, by name (other reports there, such as the eval's, are skipped). */
export async function readResults(): Promise<BenchResult[]> {
  const files = (await readdir(RESULTS_DIR)).filter((file) => file.endsWith('.json')).sort();
  const parsed = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(new URL(file, RESULTS_DIR), 'utf8')) as unknown),
  );
  return parsed.filter(isBenchResult);
}

function isBenchResult(value: unknown): value is BenchResult {
  const candidate = value as Partial<BenchResult> | null;
  return Array.isArray(candidate?.checks) && Array.isArray(candidate?.figures);
}

const number = (value: number) =>
  Number.isNaN(value) ? 'n/a' : value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);

/** The markdown table of results next to the section 9 targets, pending ones included. */
export function resultsMarkdown(
  results: readonly BenchResult[],
  pending: readonly PendingBenchmark[],
): string {
  const lines = [
    '# Benchmark results',
    '',
    'Written by `pnpm bench` (`bench/src/main.ts`); do not edit by hand (the reading at the end is `analysis.md`). Every figure is measured against a baseline',
    'run in the same process tree, on the same machine, in the same run: the ratio is what compares across',
    "machines, the absolute numbers are this machine's. Targets are those of ARCHITECTURE.md section 9.",
    '',
    '| benchmark | target | figure | subject | baseline | ratio | target met | checks | mode, run at |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    const checks = result.checks
      .map((check) => `${check.passed ? 'pass' : 'FAIL'}: ${check.name}`)
      .join('; ');
    result.figures.forEach((f, index) => {
      const first = index === 0;
      lines.push(
        [
          '',
          first ? result.title : '',
          first ? result.targetText : '',
          `${f.label} (${f.better} is better)`,
          `${number(f.subject)} ${f.unit}`,
          `${number(f.baseline)} ${f.unit}`,
          `${number(f.ratio)}x`,
          first ? `${result.target.met ? 'yes' : 'no'}: ${result.target.detail}` : '',
          first ? checks || 'none' : '',
          first ? `${result.mode}, ${result.finishedAt.slice(0, 16).replace('T', ' ')} UTC` : '',
          '',
        ]
          .join(' | ')
          .trim(),
      );
    });
  }
  for (const item of pending) {
    lines.push(`| ${item.title} | ${item.target} | ${item.reason} | | | | | | |`);
  }
  lines.push('', '## Subjects and baselines', '');
  for (const result of results) {
    lines.push(
      `- **${result.title}**: subject ${result.subject}; baseline ${result.baseline}. Machine: ${result.machine.cpus} x ${result.machine.cpuModel}, Node ${result.machine.node}. Setup: \`${JSON.stringify(result.setup)}\`.`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The hand-written reading of the results (`results/analysis.md`: targets met or not, gaps measured and
 * explained), appended to the generated table; empty when there is none.
 */
async function readAnalysis(): Promise<string> {
  try {
    return `\n${(await readFile(new URL('analysis.md', RESULTS_DIR), 'utf8')).trim()}\n`;
  } catch {
    return '';
  }
}

/** Rewrites `results/README.md` from every result file on disk, the pending list and `results/analysis.md`. */
export async function writeResultsReadme(pending: readonly PendingBenchmark[]): Promise<string> {
  const markdown = resultsMarkdown(await readResults(), pending) + (await readAnalysis());
  await writeFile(new URL('README.md', RESULTS_DIR), markdown);
  return markdown;
}
