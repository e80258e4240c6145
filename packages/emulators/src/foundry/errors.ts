import { statusTitle } from '@omni/service-kit';

/**
 * An error the emulator answers with. It is rendered as `application/problem+json` (RFC 9457) that also carries
 * the `error: { code, message, type, param }` member the Azure and OpenAI SDKs read their error messages from.
 */
export class FoundryApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  readonly errorType: string;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { param?: string; type?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'FoundryApiError';
    this.status = status;
    this.code = code;
    this.param = options.param ?? null;
    this.errorType = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.headers = options.headers ?? {};
  }

  /** 400 `invalid_payload`, the code Foundry uses for a request it refuses. */
  static invalid(message: string, param?: string): FoundryApiError {
    return new FoundryApiError(400, 'invalid_payload', message, param === undefined ? {} : { param });
  }

  /** 404 `not_found`. */
  static notFound(message: string, param?: string): FoundryApiError {
    return new FoundryApiError(404, 'not_found', message, param === undefined ? {} : { param });
  }

  /** The problem+json body. */
  toBody(instance: string): Record<string, unknown> {
    return {
      type: 'about:blank',
      title: statusTitle(this.status),
      status: this.status,
      detail: this.message,
      instance,
      error: { code: this.code, message: this.message, type: this.errorType, param: this.param },
    };
  }
}
