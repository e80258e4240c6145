/** Something a `main.ts` can start and stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Reads a port variable, exiting with a clear message when it is not a port number. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`${name} must be a port number, got "${raw}"\n`);
    process.exit(1);
  }
  return port;
}

/**
 * Runs one emulator as a process of its own until SIGINT or SIGTERM: starts it, prints what `describe`
 * says (connection settings), stops it on a signal. A start failure prints one line and exits 1.
 */
export async function runAlone<E extends Stoppable>(
  name: string,
  start: () => Promise<E>,
  describe: (emulator: E) => string,
): Promise<void> {
  try {
    const emulator = await start();
    process.stdout.write(describe(emulator));
    const stop = () => {
      emulator.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`The ${name} could not start: ${message}\n`);
    process.exit(1);
  }
}
