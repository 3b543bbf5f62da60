import { createRequire, syncBuiltinESMExports } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { AsyncLocalContextManager } from './async-context.js';

/** Loaded only when tracing is on (see startTracing): the SDK costs ~0.4 s of start-up. */

export interface TracingConfig {
  enabled: boolean;
  /** OTLP/HTTP traces URL (…/v1/traces). */
  tracesUrl?: string;
  serviceName: string;
  /** Extra OTLP headers, e.g. a collector's API key (OTEL_EXPORTER_OTLP_HEADERS). */
  headers: Record<string, string>;
}

export interface TracingHandle {
  /** Exports what is buffered, then stops tracing and removes the patches. */
  shutdown(): Promise<void>;
}

const PROBES = new Set(['/health/live', '/health/ready']);
const require = createRequire(import.meta.url);
let active: TracingHandle | undefined;

/**
 * Turns tracing on for this process: spans of incoming HTTP requests, of every PostgreSQL
 * query, and the service's own spans (outbox batches, KT sequencing), exported over OTLP/HTTP.
 * Off (the default), the OpenTelemetry API stays a no-op and nothing is patched or sent.
 *
 * The app is ESM and loads `pg` and `http` before configuration is read, so the
 * instrumentations' load hooks would come too late: their patches are applied to the loaded
 * modules directly (prototype methods, which every existing and future client uses).
 */
export function startTracingSdk(config: TracingConfig, exporter?: SpanExporter): TracingHandle | undefined {
  if (active) return undefined;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: exporter ?? new OTLPTraceExporter({ url: config.tracesUrl, headers: config.headers }),
        scheduledDelayMillis: 500,
      }),
    ],
  });
  const contextManager = new AsyncLocalContextManager();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({ enabled: false, ignoreIncomingRequestHook: (req) => PROBES.has((req.url ?? '').split('?')[0]) }),
    // Only queries inside a request, batch or sequencing span: the workers' idle polls would flood the collector.
    new PgInstrumentation({ enabled: false, requireParentSpan: true }),
  ];
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
    patchLoaded(instrumentation);
  }
  syncBuiltinESMExports();
  active = {
    async shutdown() {
      active = undefined;
      for (const instrumentation of instrumentations) instrumentation.disable();
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
  return active;
}

/** Applies an instrumentation's patches to modules that are already loaded (see above). */
function patchLoaded(instrumentation: Instrumentation): void {
  const definitions = (instrumentation as unknown as { getModuleDefinitions(): ModuleDefinition[] }).getModuleDefinitions();
  for (const definition of definitions) {
    if (definition.moduleExports || !definition.patch) continue;
    let exports: unknown;
    try {
      exports = require(definition.name);
    } catch {
      continue;
    }
    const version = definition.name.includes('/') || !/^[a-z]/.test(definition.name) ? undefined : packageVersion(definition.name);
    definition.moduleExports = exports;
    definition.moduleVersion = version;
    definition.patch(exports, version);
  }
}

interface ModuleDefinition {
  name: string;
  moduleExports?: unknown;
  moduleVersion?: string;
  patch?: (exports: unknown, version?: string) => unknown;
}

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined; // core modules (http, https) have none
  }
}
