/**
 * A dependency check: resolves when the dependency can be used; throws, or resolves `false`, when not. Resolving
 * a non-empty string means usable but degraded: the string is reported as the check's `note`.
 */
export type ReadinessCheck = () => Promise<unknown>;

/** The outcome of one check. */
export interface CheckResult {
  ok: boolean;
  durationMs: number;
  error?: string;
  /** Ready, but degraded: what is missing (e.g. a channel not registered yet). */
  note?: string;
}

/** The outcome of all checks. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/**
 * The dependencies a service needs before it takes traffic (Service Bus, Cosmos, Redis...).
 * `/readyz` runs every check in parallel, each bounded by its timeout.
 */
export class ReadinessRegistry {
  readonly #checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();

  /** Adds a named check. Names appear in `/readyz` responses, so use the dependency's name. */
  register(name: string, check: ReadinessCheck, options: { timeoutMs?: number } = {}): void {
    if (this.#checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.#checks.set(name, { check, timeoutMs: options.timeoutMs ?? 2_000 });
  }

  /** The names of the registered checks. */
  get names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Runs every check. */
  async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.#checks].map(
        async ([name, { check, timeoutMs }]) => [name, await runOne(check, timeoutMs)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, r]) => r.ok), checks };
  }
}

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([check(), timeout]);
    const durationMs = Math.round(performance.now() - started);
    if (result === false) return { ok: false, durationMs, error: 'reported not ready' };
    return typeof result === 'string' && result !== ''
      ? { ok: true, durationMs, note: result }
      : { ok: true, durationMs };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    return { ok: false, durationMs, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
