import { z } from 'zod';
import type { ServiceBusConnection } from './connection.js';
import { type ConsumerSettingsConfig, consumerSettingsConfig } from './consumer-settings.js';

/** How a service reaches Service Bus (spread into its config schema; check {@link checkServiceBusConfig}). */
export const serviceBusConfig = {
  /** The local emulator's connection string (`...;UseDevelopmentEmulator=true;`). */
  SERVICEBUS_CONNECTION_STRING: z.string().min(1).optional(),
  /** The namespace (`<name>.servicebus.windows.net`), reached with managed identity in Azure. */
  SERVICEBUS_NAMESPACE: z.string().min(1).optional(),
  ...consumerSettingsConfig,
} as const;

/** The values of {@link serviceBusConfig}. */
export interface ServiceBusConfig extends ConsumerSettingsConfig {
  readonly SERVICEBUS_CONNECTION_STRING?: string | undefined;
  readonly SERVICEBUS_NAMESPACE?: string | undefined;
}

/** The cross-field rule of {@link serviceBusConfig}: one of the two is set. */
export function checkServiceBusConfig(config: ServiceBusConfig, ctx: z.RefinementCtx): void {
  if (config.SERVICEBUS_CONNECTION_STRING === undefined && config.SERVICEBUS_NAMESPACE === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['SERVICEBUS_CONNECTION_STRING'],
      message:
        'set SERVICEBUS_CONNECTION_STRING (local emulator) or SERVICEBUS_NAMESPACE (Azure, managed identity)',
    });
  }
}

/** The connection a validated configuration names: the connection string when set, else the namespace. */
export function serviceBusConnectionOf(config: ServiceBusConfig): ServiceBusConnection {
  return config.SERVICEBUS_CONNECTION_STRING !== undefined
    ? { connectionString: config.SERVICEBUS_CONNECTION_STRING }
    : { fullyQualifiedNamespace: config.SERVICEBUS_NAMESPACE ?? '' };
}
