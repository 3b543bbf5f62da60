import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { TracingConfig, TracingHandle } from './tracing-sdk.js';

export type { TracingConfig, TracingHandle };

const TRACER_NAME = 'mls-identity';

/**
 * Starts tracing when the configuration turns it on; otherwise loads nothing of the SDK, and
 * the OpenTelemetry API below stays a no-op.
 */
export async function startTracing(config: TracingConfig): Promise<TracingHandle | undefined> {
  if (!config.enabled) return undefined;
  const { startTracingSdk } = await import('./tracing-sdk.js');
  return startTracingSdk(config);
}

/** The service's tracer: a no-op unless tracing was started. */
export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Runs `fn` in a span of its own (a child of the active one); records a thrown error on it. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
      throw e;
    } finally {
      span.end();
    }
  });
}
