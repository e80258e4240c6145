import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { startTelemetry, telemetryModeFrom } from './telemetry.js';

describe('telemetryModeFrom', () => {
  it('chooses OTLP first, then Azure Monitor, else off', () => {
    expect(telemetryModeFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('otlp');
    expect(
      telemetryModeFrom({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      }),
    ).toBe('otlp');
    expect(
      telemetryModeFrom({
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      }),
    ).toBe('azure-monitor');
    expect(telemetryModeFrom({})).toBe('off');
  });
});

describe('OTLP export (a local collector on loopback)', () => {
  const received: unknown[] = [];
  let collector: Server;
  let endpoint: string;

  beforeAll(async () => {
    collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => collector.close(() => r())));

  it('given OTEL_EXPORTER_OTLP_ENDPOINT, when a request carries traceparent, then its server span reaches the collector in that trace', async () => {
    const telemetry = await startTelemetry({
      service: 'trace-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    });
    expect(telemetry.mode).toBe('otlp');
    const app = createServiceApp({ service: 'trace-test', defaultMetrics: false });
    app.get('/api/customers/:id', async () => ({ ok: true }));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await app.inject({
      url: '/api/customers/cust_1',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    await app.close();
    await telemetry.shutdown();

    const spans = JSON.stringify(received);
    expect(spans).toContain('GET /api/customers/:id');
    expect(spans).toContain('trace-test');
    // OTLP/JSON encodes ids as hex strings.
    expect(spans).toContain(traceId);
  });
});
