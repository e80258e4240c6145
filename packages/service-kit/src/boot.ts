import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type ServiceBaseConfig } from './config.js';
import { createLogger } from './logger.js';
import { type RunningService, runService } from './run-service.js';
import { startTelemetry } from './telemetry.js';

/** What {@link bootService} needs from a service. */
export interface BootOptions<Config extends ServiceBaseConfig & { PORT: number }> {
  service: string;
  /** Reads and validates config; throws `ConfigError` listing every problem. */
  loadConfig: () => Config;
  /** Wires the real dependencies from config and returns the app (not listening). */
  build: (config: Config, logger: Logger) => Promise<FastifyInstance> | FastifyInstance;
}

/**
 * The whole of a service's `server.ts`: config (failing fast with one readable message), telemetry,
 * logger, app, listen, graceful shutdown. Start-up failures print a single clear line and exit 1.
 */
export async function bootService<Config extends ServiceBaseConfig & { PORT: number }>(
  options: BootOptions<Config>,
): Promise<RunningService> {
  let config: Config;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const telemetry = await startTelemetry({ service: options.service });
  const logger = createLogger({
    service: options.service,
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
  });
  try {
    const app = await options.build(config, logger);
    return await runService({
      app,
      port: config.PORT,
      host: config.HOST,
      graceMs: config.SHUTDOWN_GRACE_MS,
      afterClose: () => telemetry.shutdown(),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message =
      code === 'EADDRINUSE'
        ? `${options.service} cannot start: port ${config.PORT} is already in use (is another \`pnpm start\` running? set PORT to move it)`
        : `${options.service} cannot start: ${error instanceof Error ? error.message : String(error)}`;
    logger.fatal({ err: error }, message);
    process.stderr.write(`${message}\n`);
    await telemetry.shutdown();
    process.exit(1);
  }
}
