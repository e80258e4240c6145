// Starts two tiny services with the sandbox's startStack (built: ../../dist/stack.js) and stops them on SIGINT
// or SIGTERM like `pnpm start` does; exits 0 only when every service exited 0. Prints `ready` once up.
import { fileURLToPath } from 'node:url';
import { startStack } from '../../dist/stack.js';

const entry = fileURLToPath(new URL('./tiny-service.mjs', import.meta.url));
const stack = await startStack({
  services: ['one', 'two'].map((name) => ({ name, entry, port: 0, env: { TINY_SERVICE_NAME: name } })),
  onLog: (line) => process.stdout.write(`${line.service} ${line.msg}\n`),
});
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  const codes = await stack.stop();
  process.stdout.write(`exit codes ${JSON.stringify(codes)}\n`);
  process.exit(Object.values(codes).every((code) => code === 0) ? 0 : 1);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
// Only now: a signal before the handlers are in place would end the launcher at once.
process.stdout.write('ready\n');
