/**
 * The few places where the broker reaches below rhea 3.0.5's public API. Each is needed to answer the way
 * Service Bus does, and each is confined here so a rhea upgrade has one file to check.
 */
import rhea, { type Delivery, type link, type Sender } from 'rhea';

interface EndpointStateInternals {
  local_open: boolean;
  open_requests: number;
}

interface LinkInternals {
  state: EndpointStateInternals;
  local: { attach: Record<string, unknown> };
  remote: { attach?: Record<string, unknown> };
}

interface SenderInternals extends LinkInternals {
  credit: number;
  delivery_count: number;
  _draining: boolean;
  _drained: boolean;
  _get_drain: () => boolean;
}

interface OutgoingInternals {
  next_pending_delivery: number;
  next_delivery_id: number;
  deliveries: { by_id(id: number): { link: unknown } | undefined };
}

/**
 * Holds back the attach rhea sends in reply to a peer's attach (it opens every incoming link at once), so
 * the broker can answer later: a receiver asking for "the next available session" waits until a session
 * has messages, as Service Bus does. Call {@link sendHeldAttach} to answer.
 */
export function holdAttach(target: link): void {
  const internals = target as unknown as LinkInternals;
  if (internals.state.local_open && internals.state.open_requests > 0) {
    internals.state.local_open = false;
    internals.state.open_requests -= 1;
  }
}

/** Sends an attach held by {@link holdAttach}. */
export function sendHeldAttach(target: link): void {
  target.open();
}

/** Sets a field of the attach the broker sends (e.g. `properties`, `max_message_size`, settle modes). */
export function setLocalAttach(target: link, field: string, value: unknown): void {
  (target as unknown as LinkInternals).local.attach[field] = value;
}

/** A field of the peer's attach (e.g. `properties`, `snd_settle_mode`). */
export function remoteAttach(target: link, field: string): unknown {
  return (target as unknown as LinkInternals).remote.attach?.[field];
}

/** The sender's link credit (rhea tracks it but does not type it). */
export function linkCredit(sender: Sender): number {
  return (sender as unknown as SenderInternals).credit;
}

/** Deliveries handed to rhea on this sender that have not been transferred yet (they will use credit). */
export function unsentDeliveries(sender: Sender): number {
  const outgoing = (sender.session as unknown as { outgoing: OutgoingInternals }).outgoing;
  let count = 0;
  for (let id = outgoing.next_pending_delivery; id < outgoing.next_delivery_id; id += 1) {
    if (outgoing.deliveries.by_id(id)?.link === sender) count += 1;
  }
  return count;
}

/**
 * Makes a sender answer a drain request even when its credit is already used up. rhea only echoes
 * `drain=true` while credit remains, and the SDK's batching receiver closes its link when no drained flow
 * comes back within 200 ms.
 */
export function answerDrainWithoutCredit(sender: Sender): void {
  const internals = sender as unknown as SenderInternals;
  internals._get_drain = function getDrain(this: SenderInternals) {
    if (!(this._draining && this._drained)) return false;
    while (this.credit > 0) {
      this.delivery_count += 1;
      this.credit -= 1;
    }
    return true;
  };
}

/** A delivery outcome rhea can put on a disposition: `rejected` with an AMQP error. */
export function rejectedOutcome(condition: string, description: string): unknown {
  const outcomes = rhea.message as unknown as {
    rejected(fields: { error: { condition: string; description: string } }): { described(): unknown };
  };
  return outcomes.rejected({ error: { condition, description } }).described();
}

/**
 * The outcome to settle a delivery with once the broker applied the peer's disposition: the peer's own
 * outcome, except that a `rejected` (dead-letter) is settled as `accepted`, since the SDK reads any error
 * on the settled state as a failed settlement.
 */
export function echoedOutcome(delivery: Delivery): unknown {
  const outcomes = rhea.message as unknown as { accepted(): { described(): unknown } };
  const state = delivery.remote_state as { described?: () => unknown; error?: unknown } | undefined;
  if (typeof state?.described === 'function' && state.error === undefined) return state.described();
  return outcomes.accepted().described();
}

/** Frames that only close or steer what the peer had open; late ones are dropped, not fatal. */
const LATE_FRAMES = ['detach', 'end', 'flow', 'disposition'] as const;

/**
 * Makes a server connection drop a closing frame (detach, end, flow, disposition) that arrives on a channel it no
 * longer has a session for, instead of rhea's default: a ProtocolError ("detach received on invalid channel N")
 * that closes the whole connection. `@azure/service-bus` sends such frames when its own timeout on a "next
 * available session" attach crosses the broker's refusal of it (every 60 s for each idle session receiver), and a
 * closed connection takes every session of the replica with it: their locks then hold the customers' next
 * messages until they expire. Attach and transfer on an unknown channel stay errors (they would lose work).
 */
export function tolerateLateFrames(
  connection: rhea.Connection,
  onDropped: (frame: string, channel: number) => void,
): void {
  const internals = connection as unknown as Record<string, unknown> & {
    remote_channel_map: Record<number, unknown>;
  };
  for (const name of LATE_FRAMES) {
    const handler = internals[`on_${name}`] as (frame: { channel: number }) => void;
    internals[`on_${name}`] = function (this: typeof internals, frame: { channel: number }) {
      if (this.remote_channel_map[frame.channel] === undefined) {
        onDropped(name, frame.channel);
        return;
      }
      handler.call(this, frame);
    };
  }
}
