import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentsSyncBlocker, waitForHandshake } from '../hooks/postdeploy.mjs';
import { repoRoot } from './support.ts';

/** A local endpoint: answers like an Event Grid webhook once `ready` is true, 503 before. */
async function endpoint(answer: (body: { data: { validationCode: string } }[]) => unknown) {
  const state = { ready: false, calls: 0 };
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      state.calls += 1;
      if (!state.ready || request.headers['aeg-event-type'] !== 'SubscriptionValidation') {
        response.writeHead(503).end();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer(JSON.parse(text))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events?code=x`;
  return { server, state, url };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('postdeploy handshake wait', () => {
  it('given an endpoint that becomes ready, when waited for, then the wait ends once it echoes the validation code', async () => {
    const { server, state, url } = await endpoint((events) => ({
      validationResponse: events[0]?.data.validationCode,
    }));
    servers.push(server);
    const waiting = waitForHandshake(url, { deadlineMs: 10_000, intervalMs: 20 });
    state.ready = true;
    await expect(waiting).resolves.toBeUndefined();
    expect(state.calls).toBeGreaterThanOrEqual(1);
  });

  it('given an endpoint that answers with the wrong code, when the deadline passes, then the wait fails naming the endpoint', async () => {
    const { server, state, url } = await endpoint(() => ({ validationResponse: 'not-the-code' }));
    servers.push(server);
    state.ready = true;
    await expect(waitForHandshake(url, { deadlineMs: 200, intervalMs: 20 })).rejects.toThrow(
      /\/api\/events did not answer the Event Grid handshake/,
    );
  });
});

describe('postdeploy: agents:sync prerequisite', () => {
  it('given a checkout without pnpm install, when postdeploy checks, then it names pnpm install; given this workspace, it goes on', () => {
    const bare = mkdtempSync(join(tmpdir(), 'omni-checkout-'));
    try {
      expect(agentsSyncBlocker(bare)).toContain('pnpm install');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
    expect(agentsSyncBlocker(repoRoot)).toBeUndefined();
  });
});
