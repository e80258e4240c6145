import http from 'node:http';

/**
 * A local stand-in for the Container Apps ingress in front of several replicas: each request goes to the next
 * target in turn; a target that refuses the connection (killed) is skipped for the next one, as the ingress
 * stops routing to a replica that is gone. 502 when none answers, which Event Grid retries.
 */
export class RoundRobinProxy {
  readonly #server: http.Server;
  #targets: string[] = [];
  #next = 0;
  /** Requests forwarded per target URL. */
  readonly forwarded = new Map<string, number>();

  private constructor(server: http.Server) {
    this.#server = server;
  }

  /** Listens on a free port of 127.0.0.1. */
  static async start(targets: readonly string[]): Promise<RoundRobinProxy> {
    let proxy: RoundRobinProxy | undefined;
    const server = http.createServer((request, response) => proxy?.handle(request, response));
    server.keepAliveTimeout = 5_000;
    proxy = new RoundRobinProxy(server);
    proxy.setTargets(targets);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Replaces the replicas requests go to (a replica started or removed). */
  setTargets(targets: readonly string[]): void {
    this.#targets = [...targets];
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const targets = this.#targets;
    for (let tried = 0; tried < targets.length; tried++) {
      const target = targets[this.#next++ % targets.length] as string;
      try {
        const answer = await fetch(new URL(request.url ?? '/', target), {
          method: request.method ?? 'GET',
          headers: Object.fromEntries(
            Object.entries(request.headers).filter(
              (entry): entry is [string, string] =>
                typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
            ),
          ),
          ...(body.length > 0 ? { body } : {}),
        });
        const payload = Buffer.from(await answer.arrayBuffer());
        this.forwarded.set(target, (this.forwarded.get(target) ?? 0) + 1);
        response.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'text/plain',
        });
        response.end(payload);
        return;
      } catch {
        // Connection refused or reset: a replica that is gone; try the next one.
      }
    }
    response.writeHead(502, { 'content-type': 'text/plain' });
    response.end('no replica answered');
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
