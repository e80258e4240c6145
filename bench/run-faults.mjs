// `pnpm test:faults`: the suites that load the machine, one at a time (vitest.faults.config.ts), side by side with
// the suites that mostly wait (vitest.faults-waits.config.ts: a 60-second outage or a reconnect stall needs
// wall-clock time, not CPU); then the scale-out suite (vitest.scale.config.ts: every replica its own process;
// short mode unless SCALE_OUT_SHORT=0). Exits non-zero when any run fails.
import { spawn } from 'node:child_process';

const extra = process.argv.slice(2);

function vitest(config, env = {}) {
  return new Promise((resolve) => {
    const child = spawn('vitest', ['run', '--config', config, ...extra], {
      stdio: 'inherit',
      shell: process.platform === 'win32',
      env: { ...process.env, ...env },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(1));
  });
}

const codes = await Promise.all([vitest('vitest.faults.config.ts'), vitest('vitest.faults-waits.config.ts')]);
// After both: five more processes at once starved the connection-drop suite's recovery past its deadline.
codes.push(await vitest('vitest.scale.config.ts', { SCALE_OUT_SHORT: process.env.SCALE_OUT_SHORT ?? '1' }));
process.exit(codes.every((code) => code === 0) ? 0 : 1);
