import { type AgentStepRequest, type AgentStepResult, OfflineDriver } from '@omni/conversation';

/** The offline driver, except `echo <text>`, answered `echo: <text>` with no tool calls (so answers are countable). */
export class EchoDriver extends OfflineDriver {
  override async step(request: AgentStepRequest): Promise<AgentStepResult> {
    if (request.input.kind === 'text' && request.input.text.startsWith('echo ')) {
      return {
        text: `echo: ${request.input.text.slice(5)}`,
        toolCalls: [],
        usage: { inputTokens: 1, outputTokens: 1 },
        model: request.model,
      };
    }
    return super.step(request);
  }
}
