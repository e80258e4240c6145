// azd preprovision hook: stops before anything is created when the subscription refuses ACR Tasks
// (TasksOperationsNotAllowed: subscriptions on free credits) while azure.yaml builds the images remotely.
// Otherwise provisioning would run for half an hour and `azd deploy` fail on the first image.
import { readFileSync } from 'node:fs';
import { az } from './azd-environment.mjs';

/** Subscription offers (quota id prefixes) on which ACR refuses Tasks runs. */
export const ACR_TASKS_REFUSED = ['FreeTrial_', 'AzureForStudents_', 'AzurePass_'];

/** The services azure.yaml builds with `remoteBuild: true` (read from its text: the hook needs no packages). */
export function remoteBuildServices(azureYaml) {
  const services = [];
  let current;
  for (const line of azureYaml.split('\n')) {
    const service = /^ {2}([\w-]+):\s*$/.exec(line);
    if (service !== null) current = service[1];
    else if (/^\S/.test(line)) current = undefined;
    if (current !== undefined && /^\s+remoteBuild:\s*true\b/.test(line)) services.push(current);
  }
  return services;
}

/** Whether provisioning may go on: `{ ok: true }`, or `{ ok: false, message }` naming the way out. */
export function acrTasksVerdict({ quotaId, remoteBuildServices: remote, skip = false }) {
  if (skip || remote.length === 0 || quotaId === undefined) return { ok: true };
  if (!ACR_TASKS_REFUSED.some((prefix) => quotaId.startsWith(prefix))) return { ok: true };
  return {
    ok: false,
    message:
      `This subscription (${quotaId}) refuses ACR Tasks, so the remote image builds of ${remote.join(', ')} ` +
      'would fail with TasksOperationsNotAllowed. Build locally instead: install Docker (or Podman), set ' +
      '`remoteBuild: false` for each service in azure.yaml, and run `azd up` again (infra/README.md, ' +
      '"Build locally"). To provision anyway, `azd env set ACR_TASKS_CHECK skip`.',
  };
}

function main() {
  const env = process.env;
  // Advisory: when the offer cannot be read (no az login yet, no subscription chosen), provisioning goes on.
  let quotaId;
  try {
    const subscription = env.AZURE_SUBSCRIPTION_ID || az(['account', 'show', '--query', 'id', '-o', 'tsv']);
    quotaId = az([
      'rest',
      '--method',
      'get',
      '--url',
      `https://management.azure.com/subscriptions/${subscription}?api-version=2022-12-01`,
      '--query',
      'subscriptionPolicies.quotaId',
      '-o',
      'tsv',
    ]);
  } catch {
    process.stdout.write('could not read the subscription offer; skipping the ACR Tasks check\n');
  }
  const verdict = acrTasksVerdict({
    quotaId: quotaId || undefined,
    remoteBuildServices: remoteBuildServices(readFileSync('azure.yaml', 'utf8')),
    skip: env.ACR_TASKS_CHECK === 'skip',
  });
  if (!verdict.ok) {
    process.stderr.write(`${verdict.message}\n`);
    process.exit(1);
  }
}

if (process.argv[1]?.endsWith('preprovision.mjs')) main();
