/**
 * `pnpm demo`: journey 1 in the terminal. Starts the whole sandbox on free ports, pushes the human queue over
 * its threshold, and plays a caller who moves from the phone to WhatsApp; prints the cross-channel transcript and
 * the handoff's timings, then stops everything. Exit code 1 when the WhatsApp agent did not use the call.
 */
import { styleText } from 'node:util';
import { runJourneyOne } from './journey-one.js';
import { startSandbox } from './sandbox-runner.js';

const print = (line = '') => process.stdout.write(`${line}\n`);
const ms = (from: string | null, to: string | null) =>
  from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(2)} s` : 'n/a';

print(styleText('bold', 'Journey 1: voice -> WhatsApp under load, on the local emulators'));
print(
  styleText('gray', 'Starting the sandbox (emulators in this process, each service as its own process)…'),
);
const sandbox = await startSandbox({ logLevel: 'error' });
let failed = false;
try {
  const result = await runJourneyOne(sandbox, { progress: (line) => print(styleText('gray', line)) });
  print();
  print(styleText('bold', 'Cross-channel transcript'));
  for (const line of result.transcript) {
    const who = `${line.channel.padEnd(8)} ${line.who.padEnd(8)}`;
    print(`${styleText(line.who === 'customer' ? 'cyan' : 'green', who)} ${line.text}`);
  }
  const h = result.handoff;
  print();
  print(styleText('bold', `Handoff ${h.handoffId} (${h.status})`));
  print(`  requested -> dispatched (template sent):   ${ms(h.requestedAt, h.dispatchedAt)}`);
  print(`  dispatched -> delivered (WhatsApp receipt): ${ms(h.dispatchedAt, h.deliveredAt)}`);
  print(`  requested -> completed (customer wrote):    ${ms(h.requestedAt, h.completedAt)}`);
  print(
    `  switch latency recorded by the router:     ${h.switchLatencyMs === null ? 'n/a' : `${(h.switchLatencyMs / 1000).toFixed(2)} s`}`,
  );
  print();
  if (result.usedCallContext) {
    print(styleText('green', "✓ The WhatsApp agent's first reply uses what the caller said on the phone."));
  } else {
    failed = true;
    print(styleText('red', "✗ The WhatsApp agent's first reply does not mention what the caller said."));
  }
} catch (error) {
  failed = true;
  process.stderr.write(
    `${styleText('red', `The demo failed: ${error instanceof Error ? error.message : String(error)}`)}\n`,
  );
} finally {
  await sandbox.stop();
}
process.exit(failed ? 1 : 0);
