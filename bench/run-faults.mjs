// `pnpm test:faults`: the fault suites that load the machine run one at a time (vitest.faults.config.ts), and
// beside them the suites that mostly wait (vitest.faults-waits.config.ts): a 60-second outage or a reconnect stall
// needs wall-clock time, not CPU. Exits non-zero when either run fails.
import { spawn } from 'node:child_process';

const runs = ['vitest.faults.config.ts', 'vitest.faults-waits.config.ts'].map(
  (config) =>
    new Promise((resolve) => {
      const child = spawn('vitest', ['run', '--config', config, ...process.argv.slice(2)], {
        stdio: 'inherit',
        shell: process.platform === 'win32',
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      child.on('error', () => resolve(1));
    }),
);
const codes = await Promise.all(runs);
process.exit(codes.every((code) => code === 0) ? 0 : 1);
