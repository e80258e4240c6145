export { createServiceApp, type ServiceAppOptions } from './app.js';
export { type BootOptions, bootService } from './boot.js';
export {
  ConfigError,
  type ConfigProblem,
  DEFAULT_CONFIG_HINT,
  envBoolean,
  type LoadConfigOptions,
  loadConfig,
  port,
  type ServiceBaseConfig,
  serviceBaseConfig,
} from './config.js';
export * from './event-grid/index.js';
export { type CreateLoggerOptions, createLogger, maskPhoneNumbersIn, redactUrl } from './logger.js';
export { createServiceMetrics, type ServiceMetrics } from './metrics.js';
export {
  badRequest,
  type FieldIssue,
  fieldIssuesFromZod,
  formatPath,
  HttpProblem,
  type HttpProblemOptions,
  type ProblemDocument,
  statusTitle,
  toProblem,
  unauthorized,
} from './problem.js';
export {
  assertRateLimitConfig,
  type BucketState,
  MemoryTokenBuckets,
  type RateLimitConfig,
  type RateLimitDecision,
  type RequestLimit,
  RequestRateLimiter,
  SenderRateLimiter,
  type TokenBuckets,
  takeToken,
} from './rate-limit.js';
export {
  type CheckResult,
  type ReadinessCheck,
  ReadinessRegistry,
  type ReadinessReport,
} from './readiness.js';
export { type RunningService, type RunServiceOptions, runService } from './run-service.js';
export * from './shared-state/index.js';
export { startTelemetry, type Telemetry, type TelemetryMode, telemetryModeFrom } from './telemetry.js';
