import type { AIProjectClient } from '@azure/ai-projects';
import type OpenAI from 'openai';
import { type FoundryProjectInput, foundryProjectClient } from './project.js';

/** The records a customer's Foundry conversations hold, for export and erasure. */
export interface ConversationRecords {
  /** Every item of a conversation, oldest first; empty when the conversation does not exist (any more). */
  items(conversationId: string): Promise<unknown[]>;
  /** Deletes a conversation; false when it was already gone. */
  delete(conversationId: string): Promise<boolean>;
}

/** Options of {@link FoundryConversationRecords}. */
export interface FoundryConversationRecordsOptions {
  /** The Foundry project: a client, or `{ endpoint, credential }`. */
  readonly project: FoundryProjectInput;
  /** Options for `project.getOpenAIClient()`. */
  readonly openAIClientOptions?: Parameters<AIProjectClient['getOpenAIClient']>[0];
  /** Items read per conversation at most. Default 10,000. */
  readonly maxItems?: number;
}

const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

/**
 * {@link ConversationRecords} on Azure AI Foundry, through the same OpenAI client of the project the
 * {@link FoundryDriver} uses: `conversations.items.list` for export, `conversations.delete` for erasure.
 */
export class FoundryConversationRecords implements ConversationRecords {
  readonly #openai: OpenAI;
  readonly #maxItems: number;

  constructor(options: FoundryConversationRecordsOptions) {
    this.#openai = foundryProjectClient(options.project).getOpenAIClient(options.openAIClientOptions);
    this.#maxItems = options.maxItems ?? 10_000;
  }

  async items(conversationId: string): Promise<unknown[]> {
    const items: unknown[] = [];
    try {
      for await (const item of this.#openai.conversations.items.list(conversationId, {
        order: 'asc',
        limit: 100,
      })) {
        items.push(item);
        if (items.length >= this.#maxItems) break;
      }
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return items;
  }

  async delete(conversationId: string): Promise<boolean> {
    try {
      await this.#openai.conversations.delete(conversationId);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
