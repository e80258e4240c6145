import { describe, expect, it } from 'vitest';
import { EVENT_SUBSCRIPTIONS } from '../hooks/postdeploy.mjs';
import { loadConfigSchema, providedEnvironment, requiredVariables } from './service-needs.ts';
import { loadTerraform, readRepoFile, SERVICES, tf } from './support.ts';

// Issue #17: the SMS-link fallback needs its sender number in Azure, configurable like the WhatsApp channel id.
describe('SMS_FROM_NUMBER in the deployment', () => {
  it('given the variables, when read, then sms_from_number is optional (empty) and validated as E.164', async () => {
    const config = await loadTerraform();
    const variable = config.variables.sms_from_number;
    expect(variable?.default).toBe('');
    const validation = JSON.stringify(variable?.validation);
    expect(validation).toContain('var.sms_from_number == \\"\\"');
    expect(validation).toContain('regex(');
    const tfvars = JSON.parse(readRepoFile('infra/main.tfvars.json')) as Record<string, unknown>;
    expect(tfvars.sms_from_number).toBe(tf('SMS_FROM_NUMBER'));
    expect(config.outputs.SMS_FROM_NUMBER?.value).toBe(tf('var.sms_from_number'));
  });

  it('given the app settings, when read, then the whatsapp-adapter (the SMS sender) gets it and no other service does', async () => {
    const config = await loadTerraform();
    for (const service of SERVICES) {
      const { settings } = providedEnvironment(config, service);
      if (service === 'whatsapp-adapter') expect(settings.SMS_FROM_NUMBER).toBe(tf('var.sms_from_number'));
      else expect(settings, service).not.toHaveProperty('SMS_FROM_NUMBER');
    }
    const schema = await loadConfigSchema('whatsapp-adapter');
    expect(Object.keys(schema.shape)).toContain('SMS_FROM_NUMBER');
    expect(requiredVariables(schema)).not.toContain('SMS_FROM_NUMBER');
  });

  it('given the postdeploy hook, when a number is set, then SMS delivery reports reach the whatsapp-adapter', () => {
    const sms = EVENT_SUBSCRIPTIONS.find((subscription) =>
      subscription.eventTypes.includes('Microsoft.Communication.SMSDeliveryReportReceived'),
    );
    expect(sms).toMatchObject({
      urlOutput: 'SERVICE_WHATSAPP_ADAPTER_URI',
      path: '/api/events',
      requires: 'SMS_FROM_NUMBER',
    });
  });

  it('given the First deploy walk-through, when read, then it says how to set the number', () => {
    const readme = readRepoFile('infra/README.md');
    const start = readme.indexOf('### First deploy');
    const walkthrough = readme.slice(start, readme.indexOf('\n### ', start + 4));
    expect(walkthrough).toContain('azd env set SMS_FROM_NUMBER');
    expect(readme).toMatch(/\| ops: handoffs by SMS fail at once[^\n]*SMS_FROM_NUMBER/);
  });
});
