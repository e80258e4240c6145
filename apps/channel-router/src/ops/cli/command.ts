import type { ParseArgsConfig } from 'node:util';
import type { OpsApiClient } from './ops-client.js';

/** What a command gets: its parsed options and positionals, the API client and where to write. */
export interface OpsCommandContext {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: readonly string[];
  readonly api: OpsApiClient;
  readonly out: (line: string) => void;
  /** Asks the person at the terminal to confirm; false when not interactive (use `--yes`). */
  readonly confirm: (question: string) => Promise<boolean>;
}

/** One `pnpm ops <name>` command. Each lives in a file of its own and is listed in `main.ts`. */
export interface OpsCommand {
  readonly name: string;
  /** One line for `pnpm ops --help`. */
  readonly summary: string;
  /** The usage lines for `pnpm ops <name> --help`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the exit code. Throws for a usage error (shown with the usage). */
  run(context: OpsCommandContext): Promise<number>;
}

/** A wrong use of a command: printed with its usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
