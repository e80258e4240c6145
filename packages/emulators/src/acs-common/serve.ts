import { createServer, type Server } from 'node:https';
import type { FastifyInstance } from 'fastify';

/** A listening emulator app: its port, and how to stop it. */
export interface ServedApp {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens with a fastify app over http, or over https with the given certificate (fastify routes the requests of a
 * node https server, as the Foundry emulator does).
 */
export async function serveApp(
  app: FastifyInstance,
  host: string,
  port: number,
  certificate?: { key: string; cert: string },
): Promise<ServedApp> {
  if (certificate === undefined) {
    await app.listen({ host, port });
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      await app.close();
      throw new Error('no TCP address');
    }
    return { port: address.port, close: () => app.close() };
  }
  await app.ready();
  const server = createServer(certificate, (request, response) => app.routing(request, response));
  let bound: number;
  try {
    bound = await listen(server, port, host);
  } catch (error) {
    await app.close();
    throw error;
  }
  return {
    port: bound,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve(address.port);
    });
  });
}
