// azd postprovision hook: writes apps/<service>/.env.azure, the environment to run a service on this machine
// against the provisioned resources (`node --env-file=.env.azure dist/server.js` in the app's folder).
// Plain values come from the Terraform outputs azd passes in; secrets are read from Key Vault with the
// signed-in Azure CLI user (who holds Key Vault Secrets Officer on the vault). The files are git-ignored.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { az, required, serviceEnvironment } from './azd-environment.mjs';

/** The .env text of one service: `NAME=value` lines, values quoted when they need it. */
export function renderEnvFile(values) {
  const lines = Object.entries(values).map(([name, value]) => {
    const plain = /^[\w./:@+-]*$/.test(value);
    return `${name}=${plain ? value : JSON.stringify(value)}`;
  });
  return `# Written by infra/hooks/postprovision.mjs (azd postprovision). Contains secrets: never commit.\n${lines.join('\n')}\n`;
}

function main() {
  const env = process.env;
  const vault = required(env, 'AZURE_KEY_VAULT_NAME');
  const services = serviceEnvironment(env);
  const secretCache = new Map();
  const secret = (name) => {
    if (!secretCache.has(name)) {
      secretCache.set(
        name,
        az([
          'keyvault',
          'secret',
          'show',
          '--vault-name',
          vault,
          '--name',
          name,
          '--query',
          'value',
          '-o',
          'tsv',
        ]),
      );
    }
    return secretCache.get(name);
  };
  const unset = new Set();
  for (const [service, { settings, secrets }] of Object.entries(services)) {
    const values = {};
    for (const name of settings) {
      // PORT is per service and not an output: the service's own default applies locally.
      if (name === 'PORT') continue;
      // Written even when empty (e.g. WHATSAPP_CHANNEL_REGISTRATION_ID before the channel is registered): a
      // required one is then named when the service starts; that one only degrades the whatsapp-adapter.
      values[name] = env[name] ?? '';
      if (values[name] === '') unset.add(name);
    }
    for (const [name, secretName] of Object.entries(secrets)) values[name] = secret(secretName);
    const file = join('apps', service, '.env.azure');
    writeFileSync(file, renderEnvFile(values), { mode: 0o600 });
    process.stdout.write(`wrote ${file}\n`);
  }
  for (const name of unset) process.stdout.write(`note: ${name} is not set yet (see infra/README.md)\n`);
}

if (process.argv[1]?.endsWith('postprovision.mjs')) main();
