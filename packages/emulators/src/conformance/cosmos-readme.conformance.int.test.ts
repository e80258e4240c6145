import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CosmosEmulator, startCosmosEmulator } from '../cosmos/index.js';
import { ExampleRunner, installedReadme, readmeExamples, withConnection } from './sdk-readme.js';

// Microsoft's published @azure/cosmos examples, unmodified except for the connection settings: every `ts` block of
// the installed package's README that opens its own client from `endpoint` and `key` runs as its own Node process,
// in README order, against one emulator (a later block reads what an earlier one wrote, as the README reads).
// Blocks that are fragments of a larger program are counted, not run. Each block that fails is listed below with
// the reason the emulator gives; any other failure, or a listed block that starts passing, fails this test, so the
// list stays the honest map of what the emulator does not do (packages/emulators/README.md).

/**
 * Examples that never end by design, by snippet name: a change feed pull loop (`while (iterator.hasMoreResults)`)
 * polls forever against Azure too. They must still be polling, without an error, when stopped after 5 s.
 */
const POLLS_FOREVER = new Set(['ReadmeSampleChangeFeedPullModelIteratorPartitionKey']);
/** Examples the emulator does not support, by snippet name, and the error each must end with. None today. */
const UNSUPPORTED: Readonly<Record<string, RegExp>> = {};

const { version, text } = installedReadme('@azure/cosmos');
const examples = readmeExamples(text);

let emulator: CosmosEmulator;
let runner: ExampleRunner;

beforeAll(async () => {
  emulator = await startCosmosEmulator({ port: 0, createContainers: false });
  runner = new ExampleRunner('cosmos-readme');
});
afterAll(async () => {
  runner?.dispose();
  await emulator?.stop();
});

describe(`the @azure/cosmos ${version} README examples, run as published against the emulator`, () => {
  it('runs every whole-program example; only the listed ones fail, each with its known reason', async () => {
    const outcomes: { name: string; ok: boolean; timedOut: boolean; error: string }[] = [];
    let fragments = 0;
    for (const example of examples) {
      const source = withConnection(example, emulator.endpoint, emulator.key);
      if (source === undefined) {
        fragments += 1;
        continue;
      }
      const name = example.snippet ?? `#${example.index} ${example.heading}`;
      const run = await runner.run(
        `example-${example.index}`,
        source,
        POLLS_FOREVER.has(name) ? 5_000 : 30_000,
      );
      outcomes.push({ name, ...run });
    }
    // The README is real program source: most of it runs here.
    expect(outcomes.length).toBeGreaterThanOrEqual(20);
    const expected = (name: string) => POLLS_FOREVER.has(name) || UNSUPPORTED[name] !== undefined;
    expect(outcomes.filter((o) => !o.ok && !expected(o.name)).map((o) => `${o.name}: ${o.error}`)).toEqual(
      [],
    );
    for (const outcome of outcomes.filter((o) => POLLS_FOREVER.has(o.name))) {
      expect({ name: outcome.name, stillPolling: outcome.timedOut, error: outcome.error }).toEqual({
        name: outcome.name,
        stillPolling: true,
        error: '',
      });
    }
    for (const outcome of outcomes.filter((o) => UNSUPPORTED[o.name] !== undefined)) {
      expect({ name: outcome.name, ok: outcome.ok }).toEqual({ name: outcome.name, ok: false });
      expect(outcome.error).toMatch(UNSUPPORTED[outcome.name] as RegExp);
    }
    const passed = outcomes.filter((o) => o.ok).length;
    console.info(
      `@azure/cosmos ${version} README: ${passed} of ${outcomes.length} whole-program examples ran to completion, ${POLLS_FOREVER.size} polls a change feed until stopped; ${fragments} fragments not run`,
    );
  }, 300_000);
});
