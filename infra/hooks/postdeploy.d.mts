/** An Event Grid subscription the postdeploy hook creates on the ACS system topic. */
export interface EventSubscriptionPlan {
  /** The event subscription's name. */
  readonly name: string;
  /** The azd output holding the target service's base URL. */
  readonly urlOutput: string;
  /** The webhook path on that service. */
  readonly path: string;
  /** An azd environment value the target needs to start; the subscription is skipped while it is unset. */
  readonly requires?: string;
  /** The ACS event types delivered. */
  readonly eventTypes: readonly string[];
}

/** The Event Grid subscriptions: IncomingCall to voice, WhatsApp events to whatsapp. */
export declare const EVENT_SUBSCRIPTIONS: readonly EventSubscriptionPlan[];

/** The webhook URL Event Grid delivers to, with the shared secret as `code`. */
export declare function webhookUrl(baseUrl: string, path: string, secret: string): string;

/** A validation event like the one Event Grid sends when a subscription is created. */
export declare function validationEvent(code?: string): unknown[];

/** Polls the endpoint with a validation event until it echoes the code, or the deadline passes. */
export declare function waitForHandshake(
  url: string,
  options?: { deadlineMs?: number; intervalMs?: number },
): Promise<void>;

/** Why `pnpm agents:sync` cannot run from `root` (the repository), or undefined when it can. */
export declare function agentsSyncBlocker(root: string): string | undefined;
