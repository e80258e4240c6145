import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AGREED_VARIABLES,
  environmentProblems,
  loadAllSchemas,
  providedEnvironment,
  requiredVariables,
} from './service-needs.ts';
import { loadTerraform, SERVICES, tf } from './support.ts';

describe('environment variables in Azure', () => {
  it('given each service configSchema, when its Azure environment is checked, then every required and agreed variable is provided', async () => {
    const [config, schemas] = await Promise.all([loadTerraform(), loadAllSchemas()]);
    const problems = SERVICES.flatMap((service) =>
      environmentProblems(
        service,
        schemas[service],
        providedEnvironment(config, service),
        AGREED_VARIABLES[service],
      ),
    );
    expect(problems).toEqual([]);
  });

  it('given a schema requiring a variable Terraform lacks, when checked, then the problem names the service and the variable', () => {
    const schema = z.object({ PORT: z.string().default('1'), NEW_SETTING: z.string() });
    expect(requiredVariables(schema)).toEqual(['NEW_SETTING']);
    expect(
      environmentProblems('channel-router', schema, { settings: { PORT: '7074' }, secrets: {} }),
    ).toEqual(['channel-router: NEW_SETTING is required but not provided']);
  });

  it('given a one-of pair satisfied only by the local choice, when checked, then the managed-identity choice is demanded', () => {
    const schema = z.object({
      SERVICEBUS_CONNECTION_STRING: z.string().optional(),
      SERVICEBUS_NAMESPACE: z.string().optional(),
    });
    const problems = environmentProblems('whatsapp-adapter', schema, {
      settings: { SERVICEBUS_CONNECTION_STRING: 'x' },
      secrets: {},
    });
    expect(problems).toContain(
      'whatsapp-adapter: SERVICEBUS_NAMESPACE is not provided (one of SERVICEBUS_CONNECTION_STRING | SERVICEBUS_NAMESPACE)',
    );
    expect(problems).toContain(
      'whatsapp-adapter: SERVICEBUS_CONNECTION_STRING is for local emulators; Azure uses managed identity',
    );
  });

  it('given the apps, when their settings are read, then every plain setting other than PORT and AZURE_CLIENT_ID has an output of the same name', async () => {
    const config = await loadTerraform();
    const missing = SERVICES.flatMap((service) =>
      Object.keys(providedEnvironment(config, service).settings)
        .filter((name) => name !== 'PORT' && name !== 'AZURE_CLIENT_ID')
        .filter((name) => config.outputs[name] === undefined)
        .map((name) => `${service}: output ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('given the apps, when their secrets are read, then each one references a Key Vault secret Terraform creates', async () => {
    const config = await loadTerraform();
    const secret = config.resources.azurerm_key_vault_secret?.main;
    const created = String(secret?.for_each ?? '');
    const unknown = SERVICES.flatMap((service) =>
      Object.entries(providedEnvironment(config, service).secrets)
        .filter(([, name]) => !created.includes(`"${name}"`))
        .map(([variable, name]) => `${service}: ${variable} -> ${name}`),
    );
    expect(unknown).toEqual([]);
    const values = String(
      config.locals.key_vault_secrets === undefined ? '' : JSON.stringify(config.locals.key_vault_secrets),
    );
    for (const name of created.match(/"[a-z-]+"/g) ?? []) expect(values).toContain(name);
  });

  it('given the container apps, when their env blocks are read, then they come from app_settings and app_secrets', async () => {
    const config = await loadTerraform();
    const app = config.resources.azurerm_container_app?.service;
    const template = JSON.stringify(app?.template);
    expect(template).toContain(tf('local.app_settings[each.key]'));
    expect(template).toContain(tf('local.app_secrets[each.key]'));
    expect(JSON.stringify(app?.dynamic)).toContain('key_vault_secret_id');
  });
});
