import http from 'node:http';

/** What the proxy does with one request: pass it on, or answer with a fault. */
export type CosmosFault =
  | { kind: 'pass' }
  | { kind: 'throttle'; retryAfterMs: number }
  | { kind: 'precondition-failed' };

/** A request as the fault policy sees it. */
export interface CosmosRequestView {
  method: string;
  path: string;
  ifMatch: boolean;
  /** 0-based index of the request through the proxy. */
  index: number;
}

/** A running proxy: its endpoint and what it did. */
export interface CosmosFaultProxy {
  readonly endpoint: string;
  readonly counts: { passed: number; throttled: number; preconditionFailed: number };
  /** Replaces the fault policy (default: pass everything). */
  setPolicy(policy: (request: CosmosRequestView) => CosmosFault): void;
  stop(): Promise<void>;
}

/**
 * A fault-injecting HTTP proxy in front of the Cosmos emulator: requests pass through unchanged (the master-key
 * signature does not cover the host), except those the policy answers itself with a Cosmos-shaped 429
 * (`x-ms-retry-after-ms`, substatus 3200) or 412 (as a lost ETag race would).
 */
export async function startCosmosFaultProxy(target: string): Promise<CosmosFaultProxy> {
  const upstream = new URL(target);
  const counts = { passed: 0, throttled: 0, preconditionFailed: 0 };
  let policy: (request: CosmosRequestView) => CosmosFault = () => ({ kind: 'pass' });
  let index = 0;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const view: CosmosRequestView = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      ifMatch: request.headers['if-match'] !== undefined,
      index: index++,
    };
    const fault = policy(view);
    if (fault.kind !== 'pass') {
      request.resume();
      const throttled = fault.kind === 'throttle';
      if (throttled) counts.throttled += 1;
      else counts.preconditionFailed += 1;
      const status = throttled ? 429 : 412;
      const body = JSON.stringify({
        code: throttled ? 'TooManyRequests' : 'PreconditionFailed',
        message: throttled
          ? 'Message: {"Errors":["Request rate is large."]}'
          : 'Message: {"Errors":["One of the specified pre-condition is not met."]}',
      });
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-ms-activity-id': `fault-${view.index}`,
        'x-ms-request-charge': '0',
        ...(throttled ? { 'x-ms-retry-after-ms': String(fault.retryAfterMs), 'x-ms-substatus': '3200' } : {}),
      });
      response.end(body);
      return;
    }
    counts.passed += 1;
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}/`,
    counts,
    setPolicy(next) {
      policy = next;
    },
    async stop() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
