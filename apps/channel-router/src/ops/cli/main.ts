#!/usr/bin/env node
/**
 * `pnpm ops <command>`: the operator's command line, a client of the channel-router's ops API (the same auth,
 * validation and audit as the ops console). Commands live in files of their own and are listed here.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { type OpsCommand, UsageError } from './command.js';
import { deadLettersCommand } from './dead-letters.js';
import { eraseCommand } from './erase.js';
import { exportCommand } from './export.js';
import { OpsApiClient, OpsApiError, opsConnection } from './ops-client.js';
import { redriveCommand } from './redrive.js';

const COMMANDS: readonly OpsCommand[] = [deadLettersCommand, redriveCommand, exportCommand, eraseCommand];

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: pnpm ops <command> [options]   (pnpm ops <command> --help for its options)',
    '',
    'Talks to the channel-router ops API: OPS_API_URL + OPS_API_KEY, or the running `pnpm start` sandbox.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    err(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\nUsage: ${command.usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    out(`${command.summary}\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    const api = new OpsApiClient(await opsConnection());
    return await command.run({ values: parsed.values, positionals: parsed.positionals, api, out, confirm });
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message}\nUsage: ${command.usage}`);
      return 2;
    }
    err(error instanceof OpsApiError || error instanceof Error ? error.message : String(error));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
