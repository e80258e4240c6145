import { randomBytes } from 'node:crypto';
import { FoundryApiError } from './errors.js';

/**
 * One item of a conversation or of a response's input/output, as the OpenAI Responses and Conversations APIs
 * show it: a `message`, a `function_call` or a `function_call_output` (the item types the emulator accepts).
 */
export type ConversationItem = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** A content part of a message: `input_text` (user, system, developer) or `output_text` (assistant). */
export interface TextContent {
  readonly type: 'input_text' | 'output_text';
  readonly text: string;
  readonly annotations?: readonly unknown[];
}

/** A `message` item. */
export interface MessageItem {
  readonly id: string;
  readonly type: 'message';
  readonly role: 'user' | 'assistant' | 'system' | 'developer';
  readonly status: 'completed';
  readonly content: readonly TextContent[];
}

/** A `function_call` item: the model asks the caller to run a function tool. */
export interface FunctionCallItem {
  readonly id: string;
  readonly type: 'function_call';
  readonly status: 'completed';
  readonly call_id: string;
  readonly name: string;
  /** The arguments as a JSON string, as the Responses API sends them. */
  readonly arguments: string;
}

/** A `function_call_output` item: the caller's result for the `function_call` with the same `call_id`. */
export interface FunctionCallOutputItem {
  readonly id: string;
  readonly type: 'function_call_output';
  readonly status: 'completed';
  readonly call_id: string;
  readonly output: string | readonly unknown[];
}

/** A random id with an OpenAI-style prefix (`conv_`, `resp_`, `msg_`, `fc_`, `call_`...). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

function messageContent(role: string, content: unknown, param: string): TextContent[] {
  const textType = role === 'assistant' ? 'output_text' : 'input_text';
  if (typeof content === 'string') return [{ type: textType, text: content }];
  if (!Array.isArray(content))
    throw FoundryApiError.invalid(`${param}.content must be a string or an array`, param);
  return content.map((part, index) => {
    const at = `${param}.content[${index}]`;
    if (!isRecord(part) || typeof part.text !== 'string') {
      throw FoundryApiError.invalid(`${at} must be a text part ({ type: 'input_text', text })`, at);
    }
    if (part.type !== 'input_text' && part.type !== 'output_text' && part.type !== 'text') {
      throw FoundryApiError.invalid(
        `${at}.type '${String(part.type)}' is not emulated (text parts only)`,
        at,
      );
    }
    return part.type === 'output_text'
      ? { type: 'output_text', text: part.text, annotations: [] }
      : { type: part.type === 'text' ? textType : part.type, text: part.text };
  });
}

/**
 * Turns the items a client sends (Responses `input`, Conversations `items`) into stored items: an
 * `EasyInputMessage` (`{ role, content }`) becomes a `message`, string content becomes a text part, and every item
 * gets an id. Item types other than message, function_call and function_call_output are refused with 400.
 */
export function normalizeInputItems(input: unknown, param: string): ConversationItem[] {
  if (typeof input === 'string') return [userMessage(input)];
  if (!Array.isArray(input))
    throw FoundryApiError.invalid(`${param} must be a string or an array of items`, param);
  return input.map((raw, index) => normalizeItem(raw, `${param}[${index}]`));
}

function normalizeItem(raw: unknown, param: string): ConversationItem {
  if (!isRecord(raw)) throw FoundryApiError.invalid(`${param} must be an object`, param);
  const type = raw.type ?? 'message';
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  switch (type) {
    case 'message': {
      if (typeof raw.role !== 'string' || !ROLES.has(raw.role)) {
        throw FoundryApiError.invalid(
          `${param}.role must be user, assistant, system or developer`,
          `${param}.role`,
        );
      }
      const role = raw.role as MessageItem['role'];
      return {
        id: id ?? newId('msg'),
        type: 'message',
        role,
        status: 'completed',
        content: messageContent(role, raw.content, param),
      };
    }
    case 'function_call': {
      if (
        typeof raw.call_id !== 'string' ||
        typeof raw.name !== 'string' ||
        typeof raw.arguments !== 'string'
      ) {
        throw FoundryApiError.invalid(`${param} needs call_id, name and arguments (a JSON string)`, param);
      }
      return {
        id: id ?? newId('fc'),
        type: 'function_call',
        status: 'completed',
        call_id: raw.call_id,
        name: raw.name,
        arguments: raw.arguments,
      };
    }
    case 'function_call_output': {
      if (typeof raw.call_id !== 'string' || raw.call_id === '') {
        throw FoundryApiError.invalid(`${param}.call_id is required`, `${param}.call_id`);
      }
      if (typeof raw.output !== 'string' && !Array.isArray(raw.output)) {
        throw FoundryApiError.invalid(`${param}.output must be a string or an array`, `${param}.output`);
      }
      return {
        id: id ?? newId('fco'),
        type: 'function_call_output',
        status: 'completed',
        call_id: raw.call_id,
        output: raw.output as string | unknown[],
      };
    }
    default:
      throw FoundryApiError.invalid(
        `${param}.type '${String(type)}' is not emulated (message, function_call, function_call_output)`,
        `${param}.type`,
      );
  }
}

/** A user `message` item holding one text part. */
export function userMessage(text: string): MessageItem {
  return {
    id: newId('msg'),
    type: 'message',
    role: 'user',
    status: 'completed',
    content: [{ type: 'input_text', text }],
  };
}

/** The text of a message item (its text parts joined). */
export function messageText(item: MessageItem): string {
  return item.content.map((part) => part.text).join('');
}

/** A function call output as text (array outputs are JSON-encoded). */
export function outputText(item: FunctionCallOutputItem): string {
  return typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
}

/**
 * Checks the pairing rules of the Responses API over everything the model would see: a `function_call_output`
 * must follow a `function_call` with its `call_id`, and every `function_call` must have its output before the model
 * is called again. Throws a 400 otherwise.
 */
export function checkFunctionCallPairs(context: readonly ConversationItem[]): void {
  const calls = new Set<string>();
  const answered = new Set<string>();
  for (const item of context) {
    if (item.type === 'function_call') calls.add(item.call_id);
    if (item.type === 'function_call_output') {
      if (!calls.has(item.call_id)) {
        throw FoundryApiError.invalid(
          `No tool call found for function call output with call_id ${item.call_id}.`,
          'input',
        );
      }
      answered.add(item.call_id);
    }
  }
  for (const callId of calls) {
    if (!answered.has(callId)) {
      throw FoundryApiError.invalid(`No tool output found for function call ${callId}.`, 'input');
    }
  }
}
