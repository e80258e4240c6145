import { defineConfig } from 'vitest/config';

/**
 * The Vitest config every workspace uses (also its project config under the root config). Workspace packages resolve to their TypeScript
 * sources through the `@omni/source` export condition, so tests never run against a stale build.
 * Vitest passes these conditions to Node for external packages too, so the list must only ADD conditions
 * Node would not pick by itself: `import` would make `require('long')` inside the Service Bus SDK load the
 * ESM build, and `module` would pick bundler-only builds (OpenTelemetry's `build/esm`).
 */
export function omniProject(name: string) {
  return defineConfig({
    resolve: { conditions: ['@omni/source', 'node'] },
    ssr: { resolve: { conditions: ['@omni/source', 'node'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      // The apps' boot, health, readiness and metrics are proven by apps/sandbox's stack test, which runs
      // each built service as a real process; an app gets its own files as its features arrive.
      passWithNoTests: true,
      testTimeout: 20_000,
      hookTimeout: 30_000,
      // CI also writes a JSON report per workspace; .ci/summarize-tests.mjs adds them up.
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      outputFile: { json: 'test-results/vitest.json' },
    },
  });
}
