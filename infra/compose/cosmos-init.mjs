// docker compose one-shot: creates the `omnichannel` database and the containers of cosmos_containers.json
// in the Cosmos DB emulator (the services expect them to exist; Terraform creates them in Azure).
// Plain REST with the master-key signature, so it runs on a bare node image. Idempotent: 409 = exists.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const endpoint = (process.env.COSMOS_ENDPOINT ?? 'http://cosmos:8081').replace(/\/$/, '');
const key = process.env.COSMOS_KEY ?? '';
const database = process.env.COSMOS_DATABASE ?? 'omnichannel';
const containers = JSON.parse(
  readFileSync(process.env.COSMOS_CONTAINERS_FILE ?? '/init/cosmos_containers.json', 'utf8'),
);

function authorization(verb, resourceType, resourceLink, date) {
  const payload = `${verb.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toLowerCase()}\n\n`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(payload).digest('base64');
  return encodeURIComponent(`type=master&ver=1.0&sig=${signature}`);
}

async function create(path, resourceType, resourceLink, body) {
  const date = new Date().toUTCString();
  const response = await fetch(`${endpoint}/${path}`, {
    method: 'POST',
    headers: {
      authorization: authorization('POST', resourceType, resourceLink, date),
      'x-ms-date': date,
      'x-ms-version': '2018-12-31',
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  if (response.status !== 201 && response.status !== 409) {
    throw new Error(`creating ${resourceType} ${body.id}: HTTP ${response.status} ${await response.text()}`);
  }
  process.stdout.write(`${resourceType} ${body.id}: ${response.status === 201 ? 'created' : 'exists'}\n`);
}

async function waitForEmulator(deadline = Date.now() + 180_000) {
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5_000) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the Cosmos emulator at ${endpoint} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

await waitForEmulator();
await create('dbs', 'dbs', '', { id: database });
for (const [id, container] of Object.entries(containers)) {
  if (id === '//') continue;
  await create(`dbs/${database}/colls`, 'colls', `dbs/${database}`, {
    id,
    partitionKey: { paths: [container.partition_key], kind: 'Hash', version: 2 },
    ...(container.default_ttl === null ? {} : { defaultTtl: container.default_ttl }),
  });
}
