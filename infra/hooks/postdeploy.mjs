// azd postdeploy hook:
// 1. waits until the adapters answer Event Grid's validation handshake, then creates (or updates) the
//    Event Grid subscriptions on the ACS system topic: IncomingCall -> voice-adapter; AdvancedMessageReceived
//    and DeliveryStatusUpdated -> whatsapp-adapter. The shared secret travels as the `code` query parameter.
// 2. runs `pnpm agents:sync`, creating or updating the Foundry agents of the scenario.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { az, required } from './azd-environment.mjs';

/** The Event Grid subscriptions: service URL output, webhook path, event types. */
export const EVENT_SUBSCRIPTIONS = [
  {
    name: 'voice-incoming-call',
    urlOutput: 'SERVICE_VOICE_ADAPTER_URI',
    path: '/api/incoming-call',
    eventTypes: ['Microsoft.Communication.IncomingCall'],
  },
  {
    name: 'whatsapp-messages',
    urlOutput: 'SERVICE_WHATSAPP_ADAPTER_URI',
    // No WhatsApp event exists before the channel is registered ("Register the WhatsApp channel" in infra/README.md).
    requires: 'WHATSAPP_CHANNEL_REGISTRATION_ID',
    path: '/api/events',
    eventTypes: [
      'Microsoft.Communication.AdvancedMessageReceived',
      'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated',
    ],
  },
  {
    name: 'sms-delivery-reports',
    urlOutput: 'SERVICE_WHATSAPP_ADAPTER_URI',
    // The SMS-link fallback's delivery reports; no SMS is sent before a number is set ("Buy a phone number").
    requires: 'SMS_FROM_NUMBER',
    path: '/api/events',
    eventTypes: ['Microsoft.Communication.SMSDeliveryReportReceived'],
  },
];

/** Why `pnpm agents:sync` cannot run from `root` (the repository), or undefined when it can. */
export function agentsSyncBlocker(root) {
  if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) {
    return 'pnpm agents:sync needs the workspace installed: run `pnpm install` in the repository root, then `azd hooks run postdeploy`';
  }
  return undefined;
}

/** The webhook URL Event Grid delivers to, with the shared secret as `code`. */
export function webhookUrl(baseUrl, path, secret) {
  const url = new URL(path, baseUrl);
  url.searchParams.set('code', secret);
  return url.toString();
}

/** A validation event like the one Event Grid sends when a subscription is created. */
export function validationEvent(code = randomUUID()) {
  return [
    {
      id: randomUUID(),
      topic: '/subscriptions/postdeploy-check',
      subject: '',
      data: { validationCode: code },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      metadataVersion: '1',
      dataVersion: '1',
    },
  ];
}

/** Polls the endpoint with a validation event until it echoes the code, or the deadline passes. */
export async function waitForHandshake(url, { deadlineMs = 10 * 60_000, intervalMs = 5_000 } = {}) {
  const deadline = Date.now() + deadlineMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const code = randomUUID();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        body: JSON.stringify(validationEvent(code)),
        signal: AbortSignal.timeout(10_000),
      });
      const body = response.ok ? await response.json() : undefined;
      if (body?.validationResponse === code) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${new URL(url).origin}${new URL(url).pathname} did not answer the Event Grid handshake (${last})`,
  );
}

async function main() {
  const env = process.env;
  const resourceGroup = required(env, 'AZURE_RESOURCE_GROUP');
  const systemTopic = required(env, 'EVENTGRID_SYSTEM_TOPIC_NAME');
  const vault = required(env, 'AZURE_KEY_VAULT_NAME');
  const secret = az([
    'keyvault',
    'secret',
    'show',
    '--vault-name',
    vault,
    '--name',
    'eventgrid-webhook-secret',
    '--query',
    'value',
    '-o',
    'tsv',
  ]);

  const failures = [];
  for (const subscription of EVENT_SUBSCRIPTIONS) {
    if (subscription.requires !== undefined && !env[subscription.requires]) {
      process.stdout.write(`skipping ${subscription.name}: ${subscription.requires} is not set yet\n`);
      continue;
    }
    const endpoint = webhookUrl(required(env, subscription.urlOutput), subscription.path, secret);
    process.stdout.write(`waiting for ${subscription.name} to answer the Event Grid handshake...\n`);
    try {
      await waitForHandshake(endpoint);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    az([
      'eventgrid',
      'system-topic',
      'event-subscription',
      'create',
      '--resource-group',
      resourceGroup,
      '--system-topic-name',
      systemTopic,
      '--name',
      subscription.name,
      '--endpoint-type',
      'webhook',
      '--endpoint',
      endpoint,
      '--included-event-types',
      ...subscription.eventTypes,
      '--max-delivery-attempts',
      '30',
      '--event-ttl',
      '1440',
      '--output',
      'none',
    ]);
    process.stdout.write(`Event Grid subscription ${subscription.name} is in place\n`);
  }

  // FOUNDRY_PROJECT_ENDPOINT and SCENARIO come from the azd environment; the signed-in user needs Azure AI User.
  const blocker = agentsSyncBlocker(process.cwd());
  if (blocker !== undefined) failures.push(blocker);
  else execFileSync('pnpm', ['agents:sync'], { stdio: 'inherit', shell: process.platform === 'win32' });

  if (failures.length > 0) {
    for (const failure of failures) process.stderr.write(`${failure}\n`);
    process.exit(1);
  }
}

if (process.argv[1]?.endsWith('postdeploy.mjs')) await main();
