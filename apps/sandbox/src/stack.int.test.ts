import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tinyStack = fileURLToPath(new URL('./test-support/tiny-stack.mjs', import.meta.url));

/** Runs a command in a process group of its own, as a terminal does, and sends the group SIGINT once it is ready. */
async function ctrlC(
  command: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number | null; lines: string[] }> {
  // A process group of its own, as a terminal gives `pnpm start`: Ctrl-C signals every process in it.
  const launcher = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: launcher.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') resolve();
    });
    createInterface({ input: launcher.stderr }).on('line', (line) => lines.push(line));
    launcher.once('exit', (code) => reject(new Error(`launcher exited ${code}:\n${lines.join('\n')}`)));
  });
  await ready;
  // 'close', not 'exit': the last lines are read once the pipes are closed.
  const exited = once(launcher, 'close');
  process.kill(-(launcher.pid as number), 'SIGINT');
  const [code] = (await exited) as [number | null];
  return { code, lines };
}

describe('startStack on Ctrl-C', () => {
  it('given the terminal sends SIGINT to the whole process group, then every service stops once, cleanly, and the launcher exits 0', async () => {
    const { code, lines } = await ctrlC(process.execPath, [tinyStack]);
    expect(lines.join('\n')).not.toMatch(/second (SIGINT|SIGTERM)/);
    expect(lines).toContain('exit codes {"one":0,"two":0}');
    expect(code).toBe(0);
  }, 30_000);

  it('given the root `start` script run through pnpm, when Ctrl-C reaches the group, then pnpm exits 0 without ELIFECYCLE', async () => {
    // The root script as written, with its build step made a no-op and its launcher the tiny stack: a shell that
    // waits for node (no `exec`) dies of the SIGINT itself, and pnpm reports "ELIFECYCLE Command failed", exit 130.
    const root = JSON.parse(
      await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
    );
    const start: string = root.scripts.start;
    expect(start).toContain('node apps/sandbox/dist/start.js');
    const script = start
      .replace(/^turbo run build[^&]*/, 'true ')
      .replace('apps/sandbox/dist/start.js', JSON.stringify(tinyStack));
    const dir = await mkdtemp(join(tmpdir(), 'omni-start-'));
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'start-shape', private: true, scripts: { start: script } }),
    );
    const pnpm = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : undefined;
    const { code, lines } = await (pnpm?.endsWith('.cjs') || pnpm?.endsWith('.js')
      ? ctrlC(process.execPath, [pnpm, 'start'], dir)
      : ctrlC('pnpm', ['start'], dir));
    expect(lines.join('\n')).not.toContain('ELIFECYCLE');
    expect(lines).toContain('exit codes {"one":0,"two":0}');
    expect(code).toBe(0);
  }, 30_000);
});
