import { FoundryApiError } from './errors.js';
import { type ConversationItem, newId, normalizeInputItems } from './items.js';

/** A stored conversation: the "Foundry thread" a customer's turns accumulate in. */
export interface ConversationRecord {
  readonly id: string;
  readonly created_at: number;
  metadata: Record<string, string>;
  /** Oldest first. */
  readonly items: ConversationItem[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Metadata as the Responses / Conversations API takes it: at most 16 pairs, keys up to 64 characters, string values
 * up to 512 characters (400 otherwise).
 */
export function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw FoundryApiError.invalid('metadata must map strings to strings', 'metadata');
  }
  const entries = Object.entries(value as Record<string, string>);
  if (entries.length > 16)
    throw FoundryApiError.invalid('metadata holds at most 16 key-value pairs', 'metadata');
  for (const [key, text] of entries) {
    if (key.length > 64)
      throw FoundryApiError.invalid(
        `metadata key '${key.slice(0, 20)}...' is over 64 characters`,
        'metadata',
      );
    if (text.length > 512)
      throw FoundryApiError.invalid(`metadata value of '${key}' is over 512 characters`, 'metadata');
  }
  return Object.fromEntries(entries);
}

/** The conversations of one emulated project. */
export class ConversationStore {
  readonly #conversations = new Map<string, ConversationRecord>();

  /** `POST /conversations` with `{ items?, metadata? }`. */
  create(body: unknown): ConversationRecord {
    const request = isRecord(body) ? body : {};
    const items =
      request.items === undefined || request.items === null
        ? []
        : normalizeInputItems(request.items, 'items');
    const record: ConversationRecord = {
      id: newId('conv'),
      created_at: Math.floor(Date.now() / 1000),
      metadata: metadataOf(request.metadata),
      items,
    };
    this.#conversations.set(record.id, record);
    return record;
  }

  /** The conversation (404 when unknown or deleted). */
  get(id: string): ConversationRecord {
    const record = this.#conversations.get(id);
    if (!record) throw FoundryApiError.notFound(`Conversation with id '${id}' not found.`, 'conversation');
    return record;
  }

  /** `POST /conversations/{id}` with `{ metadata }`. */
  update(id: string, body: unknown): ConversationRecord {
    const record = this.get(id);
    record.metadata = metadataOf(isRecord(body) ? body.metadata : undefined);
    return record;
  }

  /** Deletes a conversation (404 when unknown). */
  delete(id: string): void {
    this.get(id);
    this.#conversations.delete(id);
  }

  /** Appends items (already normalized) to a conversation. */
  append(id: string, items: readonly ConversationItem[]): void {
    this.get(id).items.push(...items);
  }

  /** Every conversation, oldest first. */
  list(): readonly ConversationRecord[] {
    return [...this.#conversations.values()];
  }

  /** Forgets every conversation. */
  clear(): void {
    this.#conversations.clear();
  }
}

/** The wire form of a conversation. */
export function conversationView(record: ConversationRecord): Record<string, unknown> {
  return { id: record.id, object: 'conversation', created_at: record.created_at, metadata: record.metadata };
}
