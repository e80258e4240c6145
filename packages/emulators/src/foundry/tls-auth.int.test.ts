import { readFile } from 'node:fs/promises';
import { AIProjectClient } from '@azure/ai-projects';
import { APIConnectionError, AuthenticationError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticTokenCredential } from './credential.js';
import { type FoundryEmulator, startFoundryEmulator } from './emulator.js';
import { type FoundryFixture, startFoundryFixture } from './test-support/fixture.js';

describe('Foundry emulator transport: https with a per-run certificate, bearer tokens required', () => {
  let fx: FoundryFixture;
  let untrusted: FoundryEmulator;

  beforeAll(async () => {
    fx = await startFoundryFixture();
    // A second emulator has its own certificate, which this process never trusts.
    untrusted = await startFoundryEmulator();
  });
  afterAll(async () => {
    await fx?.stop();
    await untrusted?.stop();
  });

  it('serves the project endpoint over https on 127.0.0.1', () => {
    expect(fx.foundry.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/projects\/omnichannel$/);
    expect(fx.foundry.caCertificatePem).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('writes the certificate to a file for NODE_EXTRA_CA_CERTS', async () => {
    expect(await readFile(fx.foundry.caCertificatePath, 'utf8')).toBe(fx.foundry.caCertificatePem);
  });

  it('a client trusting the certificate connects: the agents API and the OpenAI client both answer', async () => {
    const agents = [];
    for await (const agent of fx.project.agents.list()) agents.push(agent);
    expect(agents).toEqual([]);
    const conversation = await fx.openai.conversations.create();
    expect(conversation.id).toMatch(/^conv_/);
  });

  it('asks the credential for the Foundry scope (https://ai.azure.com/.default)', () => {
    expect(fx.credential.requestedScopes).toContain('https://ai.azure.com/.default');
  });

  it('a client that does not trust the certificate fails with a TLS error (proof it is real https)', async () => {
    const project = new AIProjectClient(untrusted.endpoint, staticTokenCredential(), {
      retryOptions: { maxRetries: 0 },
    });
    const error = await project.agents.get('anything').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/) });

    const openai = project.getOpenAIClient({ maxRetries: 0 });
    const openaiError = await openai.conversations.create().catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(APIConnectionError);
    expect((openaiError as { cause?: { cause?: { code?: string } } }).cause?.cause?.code).toMatch(
      /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/,
    );
  });

  it('an empty bearer token gets 401 from the agents API', async () => {
    const project = new AIProjectClient(fx.foundry.endpoint, staticTokenCredential(''), {
      retryOptions: { maxRetries: 0 },
    });
    const error = await project.agents.get('anything').catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 401 });
  });

  it('no Authorization header gets 401 from the OpenAI endpoints, with the error envelope the SDK reads', async () => {
    // The bearer token provider refuses an empty token client-side, so the header is dropped per request instead.
    const error = await fx.openai.conversations
      .create({}, { headers: { Authorization: null } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((error as Error).message).toContain('bearer token is required');
  });

  it('a non-bearer Authorization header gets 401', async () => {
    const error = await fx.openai.responses
      .create({ model: 'gpt-4o-mini', input: 'hi' }, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(fx.foundry.model.requests).toHaveLength(0);
  });

  it('a token for another project path gets 404, not another project’s data', async () => {
    const project = new AIProjectClient(fx.foundry.endpoint.replace(/omnichannel$/, 'other'), fx.credential, {
      retryOptions: { maxRetries: 0 },
    });
    const error = await project.agents.get('anything').catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 404 });
  });
});
