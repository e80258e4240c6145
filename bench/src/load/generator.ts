/**
 * The load generator, run as a child process (`fork`) so it never shares an event loop or a core's time slice
 * accounting with the server under test. The same generator drives the baseline and the subject. It takes one
 * {@link LoadJob} per IPC message and answers with a {@link LoadReport}.
 */
import http from 'node:http';
import { benchPhone, inboundTextEvent } from '../support/whatsapp-events.js';
import type { LoadJob, LoadReport, SentRequest, WhatsAppBodySpec } from './protocol.js';
import { preciseNow } from './stats.js';

function bodyOf(spec: WhatsAppBodySpec, index: number): { key: string; body: string } {
  const n = spec.customers === undefined ? index : index % spec.customers;
  const key = benchPhone(spec.phoneOffset + n, spec.run);
  const event = inboundTextEvent(key, `bench message ${index}`, {
    channelRegistrationId: spec.channelRegistrationId,
  });
  return { key, body: JSON.stringify([event]) };
}

function post(agent: http.Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'aeg-event-type': 'Notification',
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

async function closedLoop(job: Extract<LoadJob, { kind: 'closed' }>): Promise<LoadReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const url = new URL(job.url);
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let next = 0;
  let ok = 0;
  const started = preciseNow();
  const deadline = started + job.durationMs;
  const client = async () => {
    while (preciseNow() < deadline) {
      const { body } = bodyOf(job.body, next++);
      const at = preciseNow();
      const status = await post(agent, url, body);
      latenciesMs.push(preciseNow() - at);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) ok += 1;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  const elapsedMs = preciseNow() - started;
  agent.destroy();
  return { requests: next, ok, statuses, elapsedMs, latenciesMs };
}

async function openLoop(job: Extract<LoadJob, { kind: 'open' }>): Promise<LoadReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const url = new URL(job.url);
  const total = Math.max(1, Math.round((job.ratePerSecond * job.durationMs) / 1000));
  const intervalMs = 1000 / job.ratePerSecond;
  const statuses: Record<string, number> = {};
  const sent: SentRequest[] = [];
  const inFlight: Promise<void>[] = [];
  const started = preciseNow();
  for (let index = 0; index < total; index++) {
    const due = started + index * intervalMs;
    const wait = due - preciseNow();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const { key, body } = bodyOf(job.body, index);
    const sentAt = preciseNow();
    inFlight.push(
      post(agent, url, body).then((status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        sent.push({ key, sentAt, status, latencyMs: preciseNow() - sentAt });
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = preciseNow() - started;
  agent.destroy();
  const ok = sent.filter((request) => request.status >= 200 && request.status < 300).length;
  return { requests: total, ok, statuses, elapsedMs, sent };
}

process.on('message', (job: LoadJob) => {
  const run = job.kind === 'closed' ? closedLoop(job) : openLoop(job);
  run.then(
    (report) => process.send?.({ ok: true, report }),
    (error: unknown) => process.send?.({ ok: false, error: String(error) }),
  );
});
