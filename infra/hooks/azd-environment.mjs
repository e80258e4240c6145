// Shared by the azd hooks: reading the environment azd passes in, and calling the Azure CLI.
import { execFileSync } from 'node:child_process';

/** The value of an azd environment variable (a Terraform output), or an error naming it. */
export function required(env, name) {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not in the azd environment: run \`azd provision\` first`);
  }
  return value;
}

/** Runs `az` with arguments (never through a shell, so values are not interpreted) and returns stdout. */
export function az(args) {
  return execFileSync('az', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    shell: process.platform === 'win32',
  }).trim();
}

/** What each service reads (the SERVICE_ENVIRONMENT output): setting names, and env name => secret name. */
export function serviceEnvironment(env) {
  return JSON.parse(required(env, 'SERVICE_ENVIRONMENT'));
}
