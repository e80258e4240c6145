import { HttpProblem } from '@omni/service-kit';

/** A user-bound Direct Line token. */
export interface DirectLineToken {
  readonly token: string;
  readonly conversationId: string;
  readonly expiresIn: number;
}

/** Port: exchanges the Direct Line secret for user-bound tokens. */
export interface DirectLineTokens {
  /** The `domain` WebChat talks to (`<endpoint>/v3/directline`). */
  readonly domain: string;
  generate(userId: string): Promise<DirectLineToken>;
}

/**
 * Direct Line's `POST /v3/directline/tokens/generate` with the secret: a token bound to one conversation and
 * to the given user id, so the browser never sees the secret and cannot speak as another user.
 */
export class DirectLineTokenClient implements DirectLineTokens {
  readonly domain: string;
  readonly #secret: string;

  /**
   * @param endpoint - Direct Line's base URL (Azure's public one, or the local emulator's)
   * @param secret - the Direct Line channel secret; locally any value the emulator accepts
   */
  constructor(endpoint: string, secret: string) {
    this.domain = `${endpoint.replace(/\/+$/, '')}/v3/directline`;
    this.#secret = secret;
  }

  async generate(userId: string): Promise<DirectLineToken> {
    let response: Response;
    try {
      response = await fetch(`${this.domain}/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: userId } }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new HttpProblem(503, 'Service Unavailable', {
        detail: 'The chat service cannot be reached. Please try again.',
      });
    }
    if (!response.ok) {
      await response.arrayBuffer();
      throw new HttpProblem(502, 'Bad Gateway', {
        detail: `The chat service refused to start a conversation (${response.status}).`,
      });
    }
    const body = (await response.json()) as {
      token?: unknown;
      conversationId?: unknown;
      expires_in?: unknown;
    };
    if (typeof body.token !== 'string' || typeof body.conversationId !== 'string') {
      throw new HttpProblem(502, 'Bad Gateway', { detail: 'The chat service answered without a token.' });
    }
    return {
      token: body.token,
      conversationId: body.conversationId,
      expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 3600,
    };
  }
}
