import type { AgentStepRequest, AgentStepResult } from '@omni/conversation';
import { ScriptedDriver } from './stack.js';

/**
 * The scripted driver, plus `stream ...` messages answered with {@link GatedDriver.reply}, streamed word by
 * word: each word waits for the test to call `release()` (after it saw the previous one on screen), so a test
 * observes the reply growing without timing assumptions. `fail ...` streams two words and then throws.
 */
export class GatedDriver extends ScriptedDriver {
  readonly reply =
    'Your last meter reading was taken on the fifth of March and your next bill is due on the first of April.';
  #waiting: (() => void)[] = [];
  #gates: Promise<void>[] = [];

  /** Lets the next word through. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#gates.push(Promise.resolve());
  }

  #gate(): Promise<void> {
    const open = this.#gates.shift();
    if (open) return open;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  override async step(request: AgentStepRequest): Promise<AgentStepResult> {
    const input = request.input.kind === 'text' ? request.input.text : '';
    if (!input.startsWith('stream ') && !input.startsWith('fail ')) return super.step(request);
    const words = this.reply.match(/\S+\s*/g) ?? [];
    const fails = input.startsWith('fail ');
    for (const [index, word] of words.entries()) {
      if (fails && index === 2) throw new Error('the model connection dropped');
      await this.#gate();
      request.onTextDelta?.(word);
    }
    return {
      text: this.reply,
      toolCalls: [],
      usage: { inputTokens: 1, outputTokens: 20 },
      model: request.model,
    };
  }
}
