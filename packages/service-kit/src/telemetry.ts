/** How traces leave the process. */
export type TelemetryMode = 'otlp' | 'azure-monitor' | 'off';

/** A started telemetry pipeline. */
export interface Telemetry {
  mode: TelemetryMode;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the standard variable; a local collector or Jaeger),
 * else Azure Monitor when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set (Container Apps in Azure),
 * else off.
 */
export function telemetryModeFrom(env: Record<string, string | undefined>): TelemetryMode {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return 'otlp';
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING) return 'azure-monitor';
  return 'off';
}

/**
 * Starts the OpenTelemetry SDK for a service. Call it before building the app. The SDK packages are
 * loaded only when telemetry is on, so a service with tracing off does not pay for them at start-up.
 */
export async function startTelemetry(options: {
  service: string;
  env?: Record<string, string | undefined>;
}): Promise<Telemetry> {
  const env = options.env ?? process.env;
  const mode = telemetryModeFrom(env);
  if (mode === 'off') return { mode, shutdown: async () => {} };

  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } = await import('@opentelemetry/semantic-conventions');
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service });

  if (mode === 'otlp') {
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const endpoint = `${String(env.OTEL_EXPORTER_OTLP_ENDPOINT).replace(/\/$/, '')}/v1/traces`;
    const sdk = new NodeSDK({
      resource,
      traceExporter: new OTLPTraceExporter({ url: endpoint }),
      instrumentations: [],
    });
    sdk.start();
    return { mode, shutdown: () => sdk.shutdown() };
  }

  const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
  useAzureMonitor({
    resource,
    azureMonitorExporterOptions: { connectionString: String(env.APPLICATIONINSIGHTS_CONNECTION_STRING) },
  });
  return { mode, shutdown: () => shutdownAzureMonitor() };
}
