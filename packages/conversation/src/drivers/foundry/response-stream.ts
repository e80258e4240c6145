import type OpenAI from 'openai';
import type { Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';

/** The request options of `responses.create` (e.g. Foundry's agent reference in the body). */
export type ResponseRequestOptions = Parameters<OpenAI['responses']['create']>[1];

/**
 * `responses.create` with `stream: true`: hands each `response.output_text.delta` to `onTextDelta` as it
 * arrives and resolves to the completed response (the same object the non-streaming call returns). A
 * `response.failed`, an `error` event or a stream that ends without `response.completed` throws.
 */
export async function streamResponse(
  openai: OpenAI,
  params: ResponseCreateParamsNonStreaming,
  options: ResponseRequestOptions,
  onTextDelta: (delta: string) => void,
): Promise<Response> {
  const stream = await openai.responses.create({ ...params, stream: true }, options);
  let completed: Response | undefined;
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') onTextDelta(event.delta);
    else if (event.type === 'response.completed') completed = event.response;
    else if (event.type === 'response.failed') {
      throw new Error(`the response failed: ${event.response.error?.message ?? 'no detail'}`);
    } else if (event.type === 'error') throw new Error(`the response stream failed: ${event.message}`);
  }
  if (completed === undefined) throw new Error('the response stream ended before response.completed');
  return completed;
}
