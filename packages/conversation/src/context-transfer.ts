import type { CollectedData } from '@omni/contracts';

/** One item of a conversation's history, as the engine keeps it (vendor-neutral). */
export type HistoryItem =
  | {
      readonly type: 'message';
      readonly role: 'user' | 'assistant';
      readonly text: string;
      readonly agentId?: string;
    }
  | { readonly type: 'tool_call'; readonly callId: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'tool_output'; readonly callId: string; readonly output: string }
  | { readonly type: 'note'; readonly text: string };

/** A message handed to the next agent: a leading context note, then the kept user/assistant turns. */
export interface TransferMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly text: string;
  readonly agentId?: string;
}

/** Input of {@link transferContext}. */
export interface ContextTransferInput {
  readonly history: readonly HistoryItem[];
  /** -1 all turns, 0 none, N the last N turns (a turn = a user message and the replies to it). */
  readonly turns: number;
  /** The stored conversation summary, if any. */
  readonly summary?: string;
  /** Data the customer already gave. */
  readonly collectedData?: CollectedData;
  /** The agent handing over, named in the note. */
  readonly fromAgent?: string;
}

/**
 * What the next agent gets at a handoff: tool calls, tool outputs and notes stripped; the last `turns`
 * user/assistant turns kept (-1 all, 0 none); and, first, a note with the stored summary and collected data
 * that tells the agent not to ask for them again (kept even with `turns: 0`, so the customer never repeats
 * themselves). Pure.
 */
export function transferContext(input: ContextTransferInput): TransferMessage[] {
  const messages = input.history.filter(
    (item): item is Extract<HistoryItem, { type: 'message' }> =>
      item.type === 'message' && item.text.trim() !== '',
  );
  const turnStarts = messages.flatMap((m, i) => (m.role === 'user' ? [i] : []));
  let kept: typeof messages;
  if (input.turns < 0) kept = messages;
  else if (input.turns === 0) kept = [];
  else {
    const start = turnStarts.length > input.turns ? turnStarts[turnStarts.length - input.turns] : 0;
    kept = messages.slice(start ?? 0);
  }

  const lines: string[] = [];
  if (input.fromAgent) lines.push(`The customer was speaking with ${input.fromAgent}.`);
  if (input.summary?.trim()) lines.push(`Summary so far: ${input.summary.trim()}`);
  const data = Object.entries(input.collectedData ?? {}).filter(([, v]) => v !== null && v !== '');
  if (data.length > 0) {
    lines.push(`Already collected: ${data.map(([k, v]) => `${k}=${String(v)}`).join(', ')}.`);
    lines.push(`Do not ask the customer again for: ${data.map(([k]) => k).join(', ')}.`);
  }
  const note: TransferMessage[] =
    lines.length > 0
      ? [{ role: 'system', text: `[Context from the previous agent]\n${lines.join('\n')}` }]
      : [];
  return [
    ...note,
    ...kept.map((m) =>
      m.agentId === undefined
        ? { role: m.role, text: m.text }
        : { role: m.role, text: m.text, agentId: m.agentId },
    ),
  ];
}
