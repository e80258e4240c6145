import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the stream needs of a conversation. */
export interface StreamedConversation {
  readonly activities: readonly unknown[];
  readonly started: boolean;
  readonly sockets: Set<WebSocket>;
}

/** How {@link attachStream} finds conversations and checks the stream's token. */
export interface StreamOptions {
  readonly server: Server;
  conversation(id: string): StreamedConversation | undefined;
  /** The conversation id a stream token is valid for; undefined when the token is not valid. */
  conversationOf(token: string): string | undefined;
  /** Keep-alive period in ms (an empty message, as Direct Line sends). */
  readonly keepAliveMs: number;
}

/**
 * Direct Line's WebSocket stream (`/v3/directline/conversations/:id/stream?watermark=&t=`): replays the
 * activities after the watermark (none before it), then pushes new ones as they are appended; sends an empty
 * keep-alive message every `keepAliveMs` so proxies do not close an idle stream.
 */
export function attachStream(options: StreamOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true });
  options.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/v3\/directline\/conversations\/([^/]+)\/stream$/.exec(url.pathname);
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\n\r\n`);
    };
    if (match?.[1] === undefined) return refuse(404);
    const conversationId = decodeURIComponent(match[1]);
    if (options.conversationOf(url.searchParams.get('t') ?? '') !== conversationId) return refuse(403);
    const conversation = options.conversation(conversationId);
    if (conversation === undefined || !conversation.started) return refuse(404);
    wss.handleUpgrade(request, socket, head, (ws) => {
      conversation.sockets.add(ws);
      const keepAlive = setInterval(() => ws.send(''), options.keepAliveMs);
      keepAlive.unref();
      const forget = () => {
        clearInterval(keepAlive);
        conversation.sockets.delete(ws);
      };
      ws.on('close', forget);
      ws.on('error', forget);
      const from = watermarkIndex(
        url.searchParams.get('watermark') ?? undefined,
        conversation.activities.length,
      );
      const backlog = conversation.activities.slice(from);
      if (backlog.length > 0) {
        ws.send(JSON.stringify({ activities: backlog, watermark: String(conversation.activities.length) }));
      }
    });
  });
  return { close: () => wss.close() };
}

/** The index of the first activity after `watermark` (`-`, empty or invalid: from the start). */
export function watermarkIndex(watermark: string | undefined, length: number): number {
  if (watermark === undefined || watermark === '' || watermark === '-') return 0;
  const value = Number(watermark);
  if (!Number.isInteger(value) || value < 0) return 0;
  return Math.min(value, length);
}
