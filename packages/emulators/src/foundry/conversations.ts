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

function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw FoundryApiError.invalid('metadata must map strings to strings', 'metadata');
  }
  return { ...(value as Record<string, string>) };
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
