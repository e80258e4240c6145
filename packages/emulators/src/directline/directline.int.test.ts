import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Activity, ConnectionStatus, DirectLine } from 'botframework-directlinejs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type DirectLineActivity,
  type DirectLineEmulator,
  installXMLHttpRequest,
  startDirectLineEmulator,
} from './index.js';

const SECRET = 'test-directline-secret';

let dl: DirectLineEmulator;
let bot: Server;
let uninstall: () => void;
const clients: DirectLine[] = [];
const botSaw: DirectLineActivity[] = [];

/** A bot that answers `echo: <text>` through the Bot Connector API at the activity's serviceUrl. */
function startEchoBot(): Promise<Server> {
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => {
      const activity = JSON.parse(raw) as DirectLineActivity & {
        serviceUrl: string;
        conversation: { id: string };
      };
      botSaw.push(activity);
      void (async () => {
        if (activity.type === 'message') {
          const url = `${activity.serviceUrl}v3/conversations/${encodeURIComponent(activity.conversation.id)}/activities/${encodeURIComponent(activity.id ?? '')}`;
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              type: 'message',
              text: `echo: ${activity.text}`,
              from: { id: 'omni-bot', name: 'Bot' },
              replyToId: activity.id,
            }),
          });
        }
        response.writeHead(200).end();
      })();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function client(options: ConstructorParameters<typeof DirectLine>[0]): DirectLine {
  const directLine = new DirectLine({ domain: dl.domain, timeout: 5000, pollingInterval: 200, ...options });
  clients.push(directLine);
  return directLine;
}

/** Collects the texts of the activities a client receives. */
function collect(directLine: DirectLine): Activity[] {
  const seen: Activity[] = [];
  // end() completes the stream with an error ("conversation ended"): expected at teardown.
  directLine.activity$.subscribe({ next: (activity) => seen.push(activity), error: () => {} });
  return seen;
}

function texts(activities: Activity[]): string[] {
  return activities.flatMap((a) => (a.type === 'message' && a.text ? [a.text] : []));
}

async function post(directLine: DirectLine, text: string, userId = 'user-1'): Promise<string> {
  return new Promise((resolve, reject) => {
    directLine.postActivity({ type: 'message', from: { id: userId }, text } as Activity).subscribe({
      next: resolve,
      error: reject,
    });
  });
}

async function generateToken(userId?: string): Promise<{ token: string; conversationId: string }> {
  const response = await fetch(`${dl.domain}/tokens/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(userId ? { user: { id: userId } } : {}),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { token: string; conversationId: string };
}

beforeAll(async () => {
  uninstall = installXMLHttpRequest();
  bot = await startEchoBot();
  const port = (bot.address() as AddressInfo).port;
  dl = await startDirectLineEmulator({
    secret: SECRET,
    botEndpoint: `http://127.0.0.1:${port}/api/messages`,
  });
});

afterEach(() => {
  for (const c of clients.splice(0)) c.end();
});

afterAll(async () => {
  await dl?.stop();
  bot?.closeAllConnections();
  await new Promise((resolve) => bot?.close(resolve));
  uninstall?.();
});

describe('Direct Line emulator with the unmodified botframework-directlinejs', () => {
  it('given a WebSocket client, when the user sends a message, then the bot reply arrives on the stream', async () => {
    const directLine = client({ secret: SECRET, webSocket: true });
    const seen = collect(directLine);
    const id = await post(directLine, 'hello');
    expect(id).toMatch(/\|0000000$/);
    await vi.waitFor(() => expect(texts(seen)).toEqual(['hello', 'echo: hello']), { timeout: 10_000 });
    const conversation = dl.conversations().find((c) => c.id === id.split('|')[0]);
    expect(conversation?.streams).toBe(1);
    expect(seen[1]?.from.role).toBe('bot');
    expect(seen[0]?.from.role).toBe('user');
  });

  it('given a polling client, when the user sends two messages, then both replies arrive in order', async () => {
    const directLine = client({ secret: SECRET, webSocket: false });
    const seen = collect(directLine);
    await post(directLine, 'one');
    await post(directLine, 'two');
    await vi.waitFor(() => expect(texts(seen)).toEqual(['one', 'echo: one', 'two', 'echo: two']), {
      timeout: 10_000,
    });
    // The inspection API shows the same conversation and its activities.
    const conversationId = seen[0]?.conversation?.id ?? '';
    const listed = (await (await fetch(`${dl.endpoint}/inspect/conversations`)).json()) as {
      conversations: { id: string; activities: unknown[] }[];
    };
    expect(listed.conversations.find((c) => c.id === conversationId)?.activities).toHaveLength(4);
    const activities = (await (
      await fetch(`${dl.endpoint}/inspect/conversations/${encodeURIComponent(conversationId)}/activities`)
    ).json()) as { activities: { text?: string }[] };
    expect(activities.activities.map((a) => a.text)).toEqual(['one', 'echo: one', 'two', 'echo: two']);
  });

  it('given a watermark, when a client reconnects to the conversation, then only later activities arrive', async () => {
    const { token, conversationId } = await generateToken();
    const first = client({ token, webSocket: true });
    const seen = collect(first);
    await post(first, 'before');
    await vi.waitFor(() => expect(texts(seen)).toEqual(['before', 'echo: before']), { timeout: 10_000 });
    first.end();

    const second = client({ token, conversationId, watermark: '2', webSocket: true });
    const later = collect(second);
    await vi.waitFor(() => expect(second.connectionStatus$.getValue()).toBe(ConnectionStatus.Online), {
      timeout: 10_000,
    });
    await post(second, 'after');
    await vi.waitFor(() => expect(texts(later)).toEqual(['after', 'echo: after']), { timeout: 10_000 });

    const third = client({ token, conversationId, watermark: '0', webSocket: true });
    const all = collect(third);
    await vi.waitFor(() => expect(texts(all)).toEqual(['before', 'echo: before', 'after', 'echo: after']), {
      timeout: 10_000,
    });
  });

  it('given a user-bound token, when the page claims another user id, then Direct Line sends as the bound user', async () => {
    const { token, conversationId } = await generateToken('dl_bound-user');
    const directLine = client({ token, webSocket: true });
    const seen = collect(directLine);
    await post(directLine, 'who am i', 'someone-else');
    await vi.waitFor(() => expect(texts(seen)).toContain('echo: who am i'), { timeout: 10_000 });
    expect(dl.activities(conversationId).map((a) => a.text)).toEqual(['who am i', 'echo: who am i']);
    const fromBot = botSaw.filter((a) => a.conversation?.id === conversationId);
    expect(fromBot.map((a) => a.type)).toEqual(['conversationUpdate', 'message']);
    expect(fromBot[0]?.membersAdded?.map((m) => m.id)).toContain('dl_bound-user');
    expect(fromBot[1]?.from?.id).toBe('dl_bound-user');
  });

  it('given tokens, when refreshed or used on another conversation, then refresh works and the other is refused', async () => {
    const make = async () => {
      const response = await fetch(`${dl.domain}/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}` },
      });
      return (await response.json()) as { token: string; conversationId: string };
    };
    const a = await make();
    const b = await make();
    const refreshed = await fetch(`${dl.domain}/tokens/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toMatchObject({ conversationId: a.conversationId });
    await fetch(`${dl.domain}/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.token}` },
    });
    const foreign = await fetch(`${dl.domain}/conversations/${b.conversationId}/activities`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(foreign.status).toBe(403);
    const anonymous = await fetch(`${dl.domain}/conversations`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const wrongSecret = await fetch(`${dl.domain}/tokens/generate`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-secret' },
    });
    expect(wrongSecret.status).toBe(403);
  });

  it('given the bot is down, when the user posts, then Direct Line answers 502 and keeps the activity', async () => {
    const down = await startDirectLineEmulator({
      secret: SECRET,
      botEndpoint: 'http://127.0.0.1:9/api/messages',
    });
    try {
      const started = await fetch(`${down.domain}/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}` },
      });
      const { conversationId, token } = (await started.json()) as { conversationId: string; token: string };
      const posted = await fetch(`${down.domain}/conversations/${conversationId}/activities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', from: { id: 'user-9' }, text: 'anyone there?' }),
      });
      expect(posted.status).toBe(502);
      expect(((await posted.json()) as { error: { code: string } }).error.code).toBe('BotError');
      expect(down.activities(conversationId).map((a) => a.text)).toEqual(['anyone there?']);
    } finally {
      await down.stop();
    }
  });
});
