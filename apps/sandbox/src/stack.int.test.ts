import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('startStack on Ctrl-C', () => {
  it('given the terminal sends SIGINT to the whole process group, then every service stops once, cleanly, and the launcher exits 0', async () => {
    const script = fileURLToPath(new URL('./test-support/tiny-stack.mjs', import.meta.url));
    // A process group of its own, as a terminal gives `pnpm start`: Ctrl-C signals every process in it.
    const launcher = spawn(process.execPath, [script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const [code] = await exited;
    expect(lines.join('\n')).not.toMatch(/second (SIGINT|SIGTERM)/);
    expect(lines).toContain('exit codes {"one":0,"two":0}');
    expect(code).toBe(0);
  }, 30_000);
});
