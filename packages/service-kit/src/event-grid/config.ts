import { z } from 'zod';

/**
 * How an Event Grid webhook authenticates deliveries (spread into a service's config schema; check
 * {@link checkEventGridAuthConfig}): a shared secret in the subscription's URL, and/or Entra ID tokens.
 */
export const eventGridAuthConfig = {
  /** The `code` query parameter of the subscription's endpoint. */
  EVENTGRID_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  EVENTGRID_ENTRA_TENANT_ID: z.string().min(1).optional(),
  EVENTGRID_ENTRA_AUDIENCE: z.string().min(1).optional(),
} as const;

/** The values of {@link eventGridAuthConfig}. */
export interface EventGridAuthConfig {
  readonly EVENTGRID_WEBHOOK_SECRET?: string | undefined;
  readonly EVENTGRID_ENTRA_TENANT_ID?: string | undefined;
  readonly EVENTGRID_ENTRA_AUDIENCE?: string | undefined;
}

/** The cross-field rule of {@link eventGridAuthConfig}: a secret, or both Entra settings (a webhook never runs open). */
export function checkEventGridAuthConfig(config: EventGridAuthConfig, ctx: z.RefinementCtx): void {
  const entra =
    config.EVENTGRID_ENTRA_TENANT_ID !== undefined && config.EVENTGRID_ENTRA_AUDIENCE !== undefined;
  if (config.EVENTGRID_WEBHOOK_SECRET === undefined && !entra) {
    ctx.addIssue({
      code: 'custom',
      path: ['EVENTGRID_WEBHOOK_SECRET'],
      message:
        'set EVENTGRID_WEBHOOK_SECRET (shared secret) or both EVENTGRID_ENTRA_TENANT_ID and EVENTGRID_ENTRA_AUDIENCE',
    });
  }
}
