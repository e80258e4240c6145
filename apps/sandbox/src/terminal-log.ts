import type { ServiceLogLine } from './stack.js';

/** Messages of fastify's per-request logs. */
const REQUEST_LOGS = new Set(['incoming request', 'request completed']);

/**
 * Lines that say nothing new when the services are healthy: fastify's own "Server listening at" (each service
 * logs its own "<service> listening" line), the first of the two shutdown lines, and the receive loops'
 * retries of a session accept (they retry every few seconds while the broker has nothing to hand out).
 */
const ROUTINE = new Set([
  'shutting down: draining in-flight work',
  'could not accept a session; retrying',
  'Event Grid delivery handled',
]);

/**
 * Whether `pnpm start` prints a service's log line. Everything at debug level (`LOG_LEVEL=debug`); otherwise
 * one line per service on start and on stop, warnings and errors, and requests only when they failed: the UI
 * polls several endpoints every second, ~300 request lines a minute that hid everything else.
 */
export function showInTerminal(line: ServiceLogLine, verbose: boolean): boolean {
  if (verbose) return true;
  if (line.msg.startsWith('Server listening at')) return false;
  if (REQUEST_LOGS.has(line.msg)) {
    const status = (line.fields.res as { statusCode?: unknown } | undefined)?.statusCode;
    return typeof status === 'number' && status >= 400;
  }
  if (ROUTINE.has(line.msg)) return false;
  return line.level >= 30;
}
