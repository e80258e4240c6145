import { z } from 'zod';
import { type EventGridAuth, entraAuthForTenant } from './auth.js';

/** Event Grid's app role in the webhook's Entra app (Microsoft's secure webhook delivery set-up). */
export const EVENT_GRID_WEBHOOK_ROLE = 'AzureEventGridSecureWebhookSubscriber';

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/**
 * How an Event Grid webhook authenticates deliveries (spread into a service's config schema; check
 * {@link checkEventGridAuthConfig}): a shared secret in the subscription's URL, and/or Entra ID tokens.
 */
export const eventGridAuthConfig = {
  /**
   * The `code` query parameter of the subscription's endpoint; several, comma-separated, while rotating (old
   * and new), so no delivery is refused meanwhile.
   */
  EVENTGRID_WEBHOOK_SECRET: z
    .string()
    .refine(
      (value) => list(value).length > 0 && list(value).every((secret) => secret.length >= 16),
      'must be one or more comma-separated secrets of at least 16 characters each',
    )
    .optional(),
  EVENTGRID_ENTRA_TENANT_ID: z.string().min(1).optional(),
  EVENTGRID_ENTRA_AUDIENCE: z.string().min(1).optional(),
  /** The app role an Entra token must hold (Event Grid's, by default); `none` accepts any app of the tenant. */
  EVENTGRID_ENTRA_ROLE: z.string().min(1).default(EVENT_GRID_WEBHOOK_ROLE),
  /** Client ids (`azp` / `appid`) allowed to call, comma-separated; unset: any holder of the role. */
  EVENTGRID_ENTRA_ALLOWED_CLIENTS: z.string().optional(),
} as const;

/** The values of {@link eventGridAuthConfig}. */
export interface EventGridAuthConfig {
  readonly EVENTGRID_WEBHOOK_SECRET?: string | undefined;
  readonly EVENTGRID_ENTRA_TENANT_ID?: string | undefined;
  readonly EVENTGRID_ENTRA_AUDIENCE?: string | undefined;
  readonly EVENTGRID_ENTRA_ROLE?: string | undefined;
  readonly EVENTGRID_ENTRA_ALLOWED_CLIENTS?: string | undefined;
}

/**
 * The webhook's auth from the configuration: the shared secrets (several while rotating) and / or Entra tokens
 * that hold the required app role (and come from an allowed client, when listed).
 */
export function eventGridAuthFrom(config: EventGridAuthConfig): EventGridAuth {
  const auth: EventGridAuth = {};
  const secrets = list(config.EVENTGRID_WEBHOOK_SECRET);
  if (secrets.length > 0) auth.sharedSecret = { secret: secrets };
  if (config.EVENTGRID_ENTRA_TENANT_ID !== undefined && config.EVENTGRID_ENTRA_AUDIENCE !== undefined) {
    const role = config.EVENTGRID_ENTRA_ROLE ?? EVENT_GRID_WEBHOOK_ROLE;
    const clients = list(config.EVENTGRID_ENTRA_ALLOWED_CLIENTS);
    auth.entra = entraAuthForTenant({
      tenantId: config.EVENTGRID_ENTRA_TENANT_ID,
      audience: config.EVENTGRID_ENTRA_AUDIENCE,
      ...(role === 'none' ? {} : { requiredRoles: [role] }),
      ...(clients.length > 0 ? { authorizedParties: clients } : {}),
    });
  }
  return auth;
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
