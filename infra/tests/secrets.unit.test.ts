import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraDir, loadTerraform, loadYaml, readRepoFile, SERVICES } from './support.ts';

/**
 * Public values that look like secrets but are the emulators' documented development defaults, the same for
 * everyone: the Cosmos DB emulator's well-known key and the Service Bus emulator's fixed SAS key placeholder.
 */
const PUBLIC_EMULATOR_VALUES = new Set([
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
  'SAS_KEY_VALUE',
]);

/** Environment variable names that carry secrets. */
const SECRET_NAME = /(KEY|SECRET|PASSWORD|CONNECTION_STRING|TOKEN)$/i;

/** A reference rather than a literal: a Terraform expression or a compose/azd interpolation. */
const isReference = (value: string) => value === '' || value.startsWith('${');

/** Finds secret-looking literals in a file's text; returns `file: finding` lines. */
export function secretLiterals(file: string, text: string): string[] {
  const findings: string[] = [];
  for (const match of text.matchAll(/(AccountKey|SharedAccessKey|accesskey)=([^;"'\s]+)/gi)) {
    const value = match[2] ?? '';
    if (!isReference(value) && !PUBLIC_EMULATOR_VALUES.has(value)) findings.push(`${file}: ${match[1]}=…`);
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) findings.push(`${file}: a private key`);
  for (const match of text.matchAll(/[A-Za-z0-9+/]{32,}={0,2}/g)) {
    const token = match[0];
    const looksRandom = /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token);
    if (looksRandom && !PUBLIC_EMULATOR_VALUES.has(token))
      findings.push(`${file}: a key-like literal ${token.slice(0, 6)}…`);
  }
  for (const match of text.matchAll(
    /\b(password|secret|access_key|api_key|client_secret)\s*=\s*"([^"]*)"/gi,
  )) {
    if (!isReference(match[2] ?? '')) findings.push(`${file}: ${match[1]} = "…"`);
  }
  return findings;
}

function deploymentFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const add = (relative: string) => {
    files[relative] = readRepoFile(relative);
  };
  for (const name of readdirSync(infraDir)) {
    if (name.endsWith('.tf') || name.endsWith('.tf.json') || name.endsWith('.tfvars.json'))
      add(`infra/${name}`);
  }
  for (const name of readdirSync(join(infraDir, 'hooks'))) add(`infra/hooks/${name}`);
  for (const name of readdirSync(join(infraDir, 'compose'))) {
    if (name.includes('.')) add(`infra/compose/${name}`);
  }
  for (const name of [
    'azure.yaml',
    'docker-compose.yml',
    'Dockerfile',
    'infra/compose/servicebus-emulator/Config.json',
  ]) {
    add(name);
  }
  return files;
}

describe('no secret literals', () => {
  it('given the Terraform, compose, azure.yaml, Dockerfile and hooks, when scanned, then no key, password or connection string is written in them', () => {
    const files = deploymentFiles();
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['azure.yaml', 'docker-compose.yml', 'infra/main.tf']),
    );
    const findings = Object.entries(files).flatMap(([file, text]) => secretLiterals(file, text));
    expect(findings).toEqual([]);
  });

  it('given planted secrets, when scanned, then each one is reported', () => {
    const planted = [
      'SERVICEBUS_CONNECTION_STRING=Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=Zm9vYmFyMTIzNDU2Nzg5MA==',
      'ACS=endpoint=https://acs.example/;accesskey=abcDEF123',
      'password = "hunter2"',
      'key: 8Xk2LmQ9pR4tV7wY1zA3bC6dE0fG5hJ8kN2mP4qS',
      '-----BEGIN RSA PRIVATE KEY-----',
    ].join('\n');
    expect(secretLiterals('planted', planted)).toHaveLength(5);
    expect(secretLiterals('public', 'SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true')).toEqual([]);
  });

  it('given the container app settings, when read, then every secret-named variable is a Key Vault reference, not a setting', async () => {
    const config = await loadTerraform();
    const settings = config.locals.app_settings as Record<string, Record<string, string>>;
    const plain = SERVICES.flatMap((service) =>
      Object.keys(settings[service] ?? {})
        .filter((name) => SECRET_NAME.test(name))
        .map((name) => `${service}: ${name}`),
    );
    expect(plain).toEqual([]);
  });

  it('given compose, when its environments are read, then secret-named values are interpolated from .env or public emulator defaults', () => {
    const compose = loadYaml('docker-compose.yml') as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const literal = Object.entries(compose.services).flatMap(([service, definition]) =>
      Object.entries(definition.environment ?? {})
        .filter(([name]) => SECRET_NAME.test(name))
        .filter(([, value]) => {
          const text = String(value);
          if (text.startsWith('${')) return false;
          if (PUBLIC_EMULATOR_VALUES.has(text)) return false;
          // A connection string is fine when its key part is public or interpolated (checked by the scan above).
          return !/(SharedAccessKey|accesskey)=(SAS_KEY_VALUE|\$\{)/i.test(text);
        })
        .map(([name]) => `${service}: ${name}`),
    );
    expect(literal).toEqual([]);
  });

  it('given the outputs, when read, then none carries a secret (they land in the azd .env in plain text)', async () => {
    const config = await loadTerraform();
    const secretOutputs = Object.entries(config.outputs)
      .filter(([, body]) =>
        /random_password|key_vault_secret|primary_access_key|connection_string|sensitive_output/.test(
          JSON.stringify(body),
        ),
      )
      .map(([name]) => name);
    expect(secretOutputs).toEqual([]);
  });
});
