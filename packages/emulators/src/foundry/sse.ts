import type { ServerResponse } from 'node:http';
import type { ConversationItem } from './items.js';
import type { ResponseObject } from './responses.js';

/**
 * Writes a finished response as the Responses API's server-sent events: `response.created`,
 * `response.in_progress`, per output item `response.output_item.added`, its text or argument deltas and
 * `.done` events, `response.output_item.done`, then `response.completed`. Text goes word by word.
 */
export function writeResponseEvents(raw: ServerResponse, response: ResponseObject): void {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) => {
    raw.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  };
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  send('response.created', { response: pending });
  send('response.in_progress', { response: pending });
  response.output.forEach((item: ConversationItem, outputIndex) => {
    send('response.output_item.added', { output_index: outputIndex, item: startedItem(item) });
    if (item.type === 'message') {
      item.content.forEach((part, contentIndex) => {
        const where = { item_id: item.id, output_index: outputIndex, content_index: contentIndex };
        send('response.content_part.added', { ...where, part: { ...part, text: '' } });
        // Word by word, as a model streams (the deltas join to the text).
        for (const delta of part.text.match(/\S+\s*|^\s+/g) ?? [part.text]) {
          send('response.output_text.delta', { ...where, delta, logprobs: [] });
        }
        send('response.output_text.done', { ...where, text: part.text, logprobs: [] });
        send('response.content_part.done', { ...where, part });
      });
    } else if (item.type === 'function_call') {
      const where = { item_id: item.id, output_index: outputIndex };
      send('response.function_call_arguments.delta', { ...where, delta: item.arguments });
      send('response.function_call_arguments.done', { ...where, name: item.name, arguments: item.arguments });
    }
    send('response.output_item.done', { output_index: outputIndex, item });
  });
  send('response.completed', { response });
  raw.end();
}

function startedItem(item: ConversationItem): Record<string, unknown> {
  if (item.type === 'message') return { ...item, status: 'in_progress', content: [] };
  if (item.type === 'function_call') return { ...item, status: 'in_progress', arguments: '' };
  return { ...item };
}
