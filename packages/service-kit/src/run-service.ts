import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

/** Options for {@link runService}. */
export interface RunServiceOptions {
  app: FastifyInstance;
  port: number;
  host: string;
  /** How long in-flight work may take to drain after SIGTERM/SIGINT before the process exits anyway. */
  graceMs: number;
  /** Runs after the app has closed (flush telemetry, close clients the app does not own). */
  afterClose?: () => Promise<void>;
}

/** A running service. */
export interface RunningService {
  /** The address it listens on, e.g. `http://127.0.0.1:7071`. */
  url: string;
  /** Stops accepting, drains in-flight requests and registered `onClose` hooks, then runs `afterClose`. */
  stop(): Promise<void>;
}

/**
 * Listens, and shuts down gracefully on SIGTERM / SIGINT / an uncaught error: new connections are
 * refused (503 on kept-alive ones), in-flight requests finish, `onClose` hooks drain consumers and
 * close clients. A second signal, or the grace period running out, exits at once.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { app } = options;
  let stopping: Promise<void> | undefined;
  let uninstallSignals = () => {};
  const stop = () => {
    stopping ??= (async () => {
      uninstallSignals();
      await app.close();
      await options.afterClose?.();
    })();
    return stopping;
  };

  const url = await app.listen({ port: options.port, host: options.host });
  const closer = closeWithGrace({ delay: options.graceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal }, 'shutting down: draining in-flight work');
    await stop();
    app.log.info('shut down cleanly');
  });
  uninstallSignals = () => closer.uninstall();
  app.log.info({ url }, `${app.serviceName} listening`);
  return { url, stop };
}
