import { describe, expect, it } from 'vitest';
import { CHECKS } from './checks.js';
import { backendFromEnv, runEval } from './run-eval.js';

/**
 * The short mode of the continuity evaluation (`pnpm eval` with EVAL_SHORT=1), run by `pnpm test`: every scripted
 * conversation passes every check on the offline driver, deterministically (no network, no clock).
 */
describe('continuity evaluation (short mode, offline driver)', () => {
  it('passes every check of every conversation, across every channel pair', async () => {
    const report = await runEval({ short: true, backend: backendFromEnv({}) });
    expect(report.conversations).toBeGreaterThanOrEqual(36);
    const failures = report.failures.map((f) => ({
      id: f.id,
      why: Object.entries(f.verdicts).flatMap(([check, v]) =>
        'na' in v || v.ok ? [] : [`${check}: ${v.why}`],
      ),
    }));
    expect(failures).toEqual([]);
    for (const check of CHECKS) expect(report.perCheck[check].rate, check).toBe(1);
    expect(report.perPair.every((p) => p.total > 0 && p.rate === 1)).toBe(true);
  });

  it('is deterministic: two runs give the same verdicts', async () => {
    const a = await runEval({ short: true, backend: backendFromEnv({}) });
    const b = await runEval({ short: true, backend: backendFromEnv({}) });
    expect(b.outcomes.map((o) => [o.id, o.passed, o.transcript])).toEqual(
      a.outcomes.map((o) => [o.id, o.passed, o.transcript]),
    );
  });
});
