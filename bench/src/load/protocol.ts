/** What each request's body is: a WhatsApp inbound text event with fresh ids. */
export interface WhatsAppBodySpec {
  kind: 'whatsapp';
  /** Sender of request `i`: `benchPhone(phoneOffset + i % customers, run)` (every request its own sender without `customers`). */
  phoneOffset: number;
  run: number;
  customers?: number;
  channelRegistrationId: string;
}

/** Closed loop: `concurrency` clients, each sending its next request when the previous one is answered. */
export interface ClosedLoopJob {
  kind: 'closed';
  url: string;
  durationMs: number;
  concurrency: number;
  body: WhatsAppBodySpec;
}

/** Open loop: requests start at a fixed rate whatever the answers, as independent users would send them. */
export interface OpenLoopJob {
  kind: 'open';
  url: string;
  ratePerSecond: number;
  durationMs: number;
  body: WhatsAppBodySpec;
}

export type LoadJob = ClosedLoopJob | OpenLoopJob;

/** One request of an open-loop run. */
export interface SentRequest {
  /** The sender (phone) of the request. */
  key: string;
  /** When the request started (`preciseNow()`). */
  sentAt: number;
  /** HTTP status, 0 for a network error. */
  status: number;
  /** Time to the HTTP answer, ms. */
  latencyMs: number;
}

/** The generator's answer to a job. */
export interface LoadReport {
  requests: number;
  /** 2xx answers. */
  ok: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** Per-request records (open loop only). */
  sent?: SentRequest[];
  /** HTTP answer latencies (closed loop), ms. */
  latenciesMs?: number[];
}
