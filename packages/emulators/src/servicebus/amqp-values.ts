import rhea, { type Message } from 'rhea';

/** What rhea decodes an AMQP message into (header, properties, annotations and body in one object). */
export type AmqpMessage = Message;

/** .NET ticks (100 ns since 0001-01-01) at the Unix epoch. */
const EPOCH_TICKS = 621_355_968_000_000_000n;

/**
 * A time as a big-endian 8-byte .NET tick count, the encoding of `com.microsoft:locked-until-utc` (the SDK
 * reads it with `Long.fromBytesBE`).
 */
export function ticksFrom(milliseconds: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(Math.trunc(milliseconds)) * 10_000n + EPOCH_TICKS);
  return buffer;
}

/**
 * The delivery tag of a lock token. Service Bus sends lock tokens as .NET GUID bytes (the first three groups
 * little-endian); the SDK reorders delivery tags back before printing them, while management operations
 * carry the token in RFC 4122 byte order.
 */
export function deliveryTagOf(lockToken: string): Buffer {
  const bytes = rhea.string_to_uuid(lockToken);
  return Buffer.from([
    bytes[3] ?? 0,
    bytes[2] ?? 0,
    bytes[1] ?? 0,
    bytes[0] ?? 0,
    bytes[5] ?? 0,
    bytes[4] ?? 0,
    bytes[7] ?? 0,
    bytes[6] ?? 0,
    ...bytes.subarray(8, 16),
  ]);
}

/** A lock token from the RFC 4122 bytes of a management request. */
export function lockTokenFrom(value: unknown): string | undefined {
  if (Buffer.isBuffer(value) && value.length === 16) return rhea.uuid_to_string(value);
  if (typeof value === 'string') return value.toLowerCase();
  return undefined;
}

/** A sequence number as rhea decodes an AMQP long: a number when it fits, else 8 big-endian bytes. */
export function longFrom(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE());
  return undefined;
}

/** An AMQP message-id / correlation-id as text (uuids as their canonical form). */
export function idText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.length === 16 ? rhea.uuid_to_string(value) : value.toString('hex');
  return String(value);
}

/** The values of an AMQP list or array as rhea decodes them. */
export function listFrom(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  return [value];
}
