import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/**
 * Microsoft's own examples, as published: the fenced TypeScript blocks of an installed SDK package's README (the
 * npm package ships it, so no network and no copy in this repository). Each block is a whole program that opens
 * its client from `const endpoint = "..."` and `const key = "..."`; only those values are replaced.
 */
export interface ReadmeExample {
  /** 1-based position among the README's `ts` blocks. */
  readonly index: number;
  /** The heading the block sits under. */
  readonly heading: string;
  /** The sample the block is kept in sync with (`ts snippet:<name>` in the README), when named. */
  readonly snippet?: string;
  /** The block as published. */
  readonly source: string;
}

/** The README of an installed package (resolved from this package, as its own imports are). */
export function installedReadme(packageName: string): { version: string; text: string } {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(packageName));
  for (let depth = 0; depth < 6; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === packageName) {
        return { version: manifest.version ?? '?', text: readFileSync(join(dir, 'README.md'), 'utf8') };
      }
    } catch {
      // not the package root yet
    }
    dir = dirname(dir);
  }
  throw new Error(`the README of ${packageName} was not found next to its package.json`);
}

/** The README's fenced `ts` blocks, in order, each with the heading above it. */
export function readmeExamples(readme: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  let heading = '';
  let block: string[] | undefined;
  let snippet: string | undefined;
  for (const line of readme.split('\n')) {
    if (block !== undefined) {
      if (line.trim() === '```') {
        examples.push({
          index: examples.length + 1,
          heading,
          ...(snippet === undefined ? {} : { snippet }),
          source: block.join('\n'),
        });
        block = undefined;
      } else {
        block.push(line);
      }
    } else if (/^```(ts|typescript)(\s+snippet:(\S+))?\s*$/.test(line.trim())) {
      // The SDK's READMEs name each block after the sample it is kept in sync with (`ts snippet:ReadmeSample...`).
      snippet = /snippet:(\S+)/.exec(line)?.[1];
      block = [];
    } else if (line.startsWith('#')) {
      heading = line.replace(/^#+\s*/, '').trim();
    }
  }
  return examples;
}

const ENDPOINT_LINE = /^const endpoint = ".*";$/m;
const KEY_LINE = /^const key = ".*";$/m;

/**
 * The example with the emulator's connection settings in place of the placeholders, or undefined when it does not
 * open its own client that way (a fragment of a larger program, or another way to sign in).
 */
export function withConnection(example: ReadmeExample, endpoint: string, key: string): string | undefined {
  if (!ENDPOINT_LINE.test(example.source) || !KEY_LINE.test(example.source)) return undefined;
  return example.source
    .replace(ENDPOINT_LINE, `const endpoint = ${JSON.stringify(endpoint)};`)
    .replace(KEY_LINE, `const key = ${JSON.stringify(key)};`);
}

/** The outcome of running one example as its own Node process. */
export interface ExampleRun {
  readonly ok: boolean;
  /** Still running when its time was up (stopped). */
  readonly timedOut: boolean;
  /** The last lines of its stderr (the error it ended with). */
  readonly error: string;
}

/**
 * Runs programs as ES modules, one process each, compiled as TypeScript compiles them (esbuild: an import used only
 * as a type is dropped, which Node's type stripping does not do), from a scratch
 * directory inside this package (so `import ... from "@azure/cosmos"` resolves to the installed SDK).
 */
export class ExampleRunner {
  readonly #dir: string;

  constructor(name: string) {
    const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    // Inside the package (imports resolve to its dependencies), ignored by git (`.omni/`).
    this.#dir = join(packageRoot, '.omni', 'sdk-readme', `${name}-${process.pid}`);
    mkdirSync(this.#dir, { recursive: true });
  }

  /** Runs `source`; a program still running after `timeoutMs` is stopped and reported as `timedOut`. */
  async run(file: string, source: string, timeoutMs = 30_000): Promise<ExampleRun> {
    const path = join(this.#dir, `${file}.mjs`);
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022' });
    writeFileSync(path, code);
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path],
        { timeout: timeoutMs, cwd: this.#dir, env: { ...process.env, NODE_OPTIONS: '' } },
        (error, _stdout, stderr) => {
          resolve({
            ok: error === null,
            timedOut: error !== null && error.killed === true,
            error: stderr.trim().split('\n').slice(-6).join('\n'),
          });
        },
      );
    });
  }

  dispose(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
