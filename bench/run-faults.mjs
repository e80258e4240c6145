// `pnpm test:faults`: two lanes side by side. One runs the suites that load the machine, one at a time
// (vitest.faults.config.ts), then the scale-out suite (vitest.scale.config.ts: every replica its own process;
// short mode unless SCALE_OUT_SHORT=0). The other runs the suites that mostly wait (vitest.faults-waits.config.ts):
// a 60-second outage or a reconnect stall needs wall-clock time, not CPU. Exits non-zero when any run fails.
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

const loading = (async () => {
  const faults = await vitest('vitest.faults.config.ts');
  const scaleOut = await vitest('vitest.scale.config.ts', {
    SCALE_OUT_SHORT: process.env.SCALE_OUT_SHORT ?? '1',
  });
  return [faults, scaleOut];
})();
const waiting = vitest('vitest.faults-waits.config.ts');
const codes = [...(await loading), await waiting];
process.exit(codes.every((code) => code === 0) ? 0 : 1);
