export { inSpan, startTracing, tracer, type TracingConfig, type TracingHandle } from './tracing.js';
