/**
 * `@omni/emulators/servicebus`: a local Azure Service Bus (AMQP 1.0 on rhea) that the unmodified
 * `@azure/service-bus` SDK talks to, configured from the topology in `@omni/contracts`.
 *
 * @packageDocumentation
 */

export {
  compileSqlFilter,
  type FilterSubject,
  type SqlFilter,
  SqlFilterError,
  type SqlValue,
} from '@omni/contracts';
export { trustCertificate } from '../local-tls.js';
export { ServiceBusFaults } from './amqp-server.js';
export { Broker, type EntitySummary, type ResolvedAddress } from './broker.js';
export {
  DEFAULT_SAS_KEY,
  DEFAULT_SAS_KEY_NAME,
  SERVICE_BUS_EMULATOR_DEFAULT_PORT,
  type ServiceBusEmulator,
  type ServiceBusEmulatorOptions,
  startServiceBusEmulator,
} from './emulator.js';
export { BrokerError, type BrokeredMessage, type Clock, type EntityCounts, systemClock } from './entity.js';
export type { InspectedMessage } from './inspection.js';
export {
  NamespaceConfigError,
  type NamespaceSettings,
  namespaceFromConfig,
  namespaceFromTopology,
} from './namespace-config.js';
