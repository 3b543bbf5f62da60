import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TracingConfig } from '../common/tracing/index.js';

/**
 * The service's whole configuration, read once from the environment and validated before
 * anything starts. A bad value stops the process with one line naming the variable.
 */
export interface AppConfig {
  mode: 'production' | 'development';
  port: number;
  /** External base URL: CRL distribution points, KT origins and links are built from it. */
  publicUrl: string;
  /** Unset in development without DATABASE_URL: the embedded server is started instead. */
  databaseUrl?: string;
  /** 32-byte key-encryption key; in development a generated one in dataDir when unset. */
  kek?: Buffer;
  adminToken?: string;
  /**
   * Admin sign-in (docs/operations.md): `breakGlass` false refuses ADMIN_TOKEN (ADMIN_TOKEN_DISABLED=true);
   * the platform role goes to members of `platformGroups` signing in through `platformOrg`.
   */
  admin: { breakGlass: boolean; platformOrg: string | null; platformGroups: string[] };
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Upper bound for request bodies, in bytes (a 1,000-chain status query is ~2 MB). */
  bodyLimit: number;
  outbox: { pollMs: number; batchSize: number; maxAttempts: number };
  /** Key-transparency sequencer: how often it looks for staged events, and its batch limit. */
  /** receiptWaitMs: how long a response waits for its log index before handing out a lookup. */
  /**
   * witnessDir: where the sequencer keeps the latest checkpoint it saw published for each log,
   * outside the database, so a restore that rolls a log back is refused instead of forked
   * (docs/operations.md). Unset: no guard (production without KT_WITNESS_DIR).
   */
  /** auditAnchorIntervalMs: how often each org's audit chain head is anchored in its log (when it moved; default 60 s). */
  kt: { sequencerPollMs: number; batchSize: number; receiptWaitMs: number; witnessDir?: string; auditAnchorIntervalMs?: number };
  devIdpPort: number;
  shutdownGraceMs: number;
  /** Port of the Prometheus scrape endpoint, a listener of its own so /metrics is never on the API port. */
  metricsPort: number;
  /** Where CA, external-sender and log private keys are generated and used. */
  keyStore: KeyStoreConfig;
  /**
   * CA lifecycle: every `checkIntervalMs` each replica exports CA expiry and rotates an org's
   * intermediate once it has less than `renewIntermediateBeforeSeconds` left.
   */
  ca: { checkIntervalMs: number; renewIntermediateBeforeSeconds: number };
  /** OpenTelemetry tracing over OTLP/HTTP; off unless an OTLP endpoint or OTEL_TRACING=on is set. */
  tracing: TracingConfig;
  /**
   * Anonymous enrollment routes, per minute and counted across replicas (PostgreSQL): starts
   * (`POST /v1/orgs/{org}/enrollments`) per client IP and per org, lookups (callback, status,
   * poll, activation page) per client IP, and activation codes typed per client IP.
   */
  enrollmentLimits: { startsPerIp: number; startsPerOrg: number; lookupsPerIp: number; codesPerIp: number };
}

export type KeyStoreConfig =
  | { kind: 'database' }
  | {
      kind: 'pkcs11';
      /** Path of the PKCS#11 module (shared library). */
      module: string;
      /** The token, by label (preferred: slot ids can change when tokens are added) or slot id. */
      tokenLabel?: string;
      slot?: number;
      /** The user PIN. Never logged, never in an error message. */
      pin: string;
      /** Concurrent sessions (each runs one signature at a time). */
      sessions: number;
    };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`configuration error: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must use the postgres:// scheme, got "${url.protocol}"`);
  }
  if (!url.hostname) throw new ConfigError('DATABASE_URL', 'has no host');
  return raw;
}

function kek(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) throw new ConfigError('KEK', 'must be base64 (32 random bytes)');
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) throw new ConfigError('KEK', `must decode to 32 bytes, got ${bytes.length}`);
  return bytes;
}

function publicUrl(raw: string | undefined, port: number): string {
  const value = raw && raw !== '' ? raw : `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_URL', `is not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('PUBLIC_URL', 'must be http(s)');
  return value.replace(/\/+$/, '');
}

function keyStore(env: Env): KeyStoreConfig {
  const kind = env.KEY_STORE || 'database';
  if (kind === 'database') return { kind };
  if (kind !== 'pkcs11') throw new ConfigError('KEY_STORE', `must be database or pkcs11, got "${kind}"`);
  const module = env.PKCS11_MODULE;
  if (!module) throw new ConfigError('PKCS11_MODULE', 'is required with KEY_STORE=pkcs11 (path of the PKCS#11 library)');
  const tokenLabel = env.PKCS11_TOKEN_LABEL || undefined;
  const slot = env.PKCS11_SLOT ? integer(env, 'PKCS11_SLOT', 0, 0, 2 ** 32 - 1) : undefined;
  if ((tokenLabel === undefined) === (slot === undefined)) {
    throw new ConfigError('PKCS11_TOKEN_LABEL', 'or PKCS11_SLOT (exactly one) is required with KEY_STORE=pkcs11');
  }
  let pin = env.PKCS11_PIN || undefined;
  if (env.PKCS11_PIN_FILE) {
    if (pin !== undefined) throw new ConfigError('PKCS11_PIN_FILE', 'and PKCS11_PIN are both set; use one');
    try {
      pin = readFileSync(env.PKCS11_PIN_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ConfigError('PKCS11_PIN_FILE', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (!pin) throw new ConfigError('PKCS11_PIN', 'or PKCS11_PIN_FILE is required with KEY_STORE=pkcs11');
  return { kind, module, tokenLabel, slot, pin, sessions: integer(env, 'PKCS11_SESSIONS', 4, 1, 64) };
}

/**
 * The standard OpenTelemetry variables: an OTLP endpoint turns tracing on, OTEL_TRACING=on|off
 * (or OTEL_SDK_DISABLED=true) decides explicitly. Endpoint defaults as in the OTLP spec.
 */
function tracing(env: Env): TracingConfig {
  const flag = env.OTEL_TRACING;
  if (flag !== undefined && flag !== '' && flag !== 'on' && flag !== 'off') throw new ConfigError('OTEL_TRACING', `must be on or off, got "${flag}"`);
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const enabled = flag === 'on' || (flag !== 'off' && env.OTEL_SDK_DISABLED !== 'true' && (signal !== undefined || base !== undefined));
  const tracesUrl = signal ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  const variable = signal ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  let url: URL;
  try {
    url = new URL(tracesUrl);
  } catch {
    throw new ConfigError(variable, `is not a URL: "${tracesUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(variable, 'must be http(s) (OTLP/HTTP)');
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',').filter((p) => p.trim() !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'must be key=value pairs separated by commas');
    try {
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      throw new ConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'has a malformed %-escape');
    }
  }
  return { enabled, tracesUrl, serviceName: env.OTEL_SERVICE_NAME || 'mls-identity', headers };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): AppConfig {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const config: AppConfig = {
    mode,
    port,
    publicUrl: publicUrl(env.PUBLIC_URL, port),
    databaseUrl: databaseUrl(env.DATABASE_URL),
    kek: kek(env.KEK),
    adminToken: env.ADMIN_TOKEN || undefined,
    admin: {
      breakGlass: env.ADMIN_TOKEN_DISABLED !== 'true',
      platformOrg: env.PLATFORM_ADMIN_ORG || null,
      platformGroups: (env.PLATFORM_ADMIN_GROUPS ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
    },
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    logLevel: (env.LOG_LEVEL as AppConfig['logLevel']) || 'info',
    bodyLimit: integer(env, 'BODY_LIMIT_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    outbox: {
      pollMs: integer(env, 'OUTBOX_POLL_MS', 250, 10, 60000),
      batchSize: integer(env, 'OUTBOX_BATCH_SIZE', 100, 1, 10000),
      maxAttempts: integer(env, 'OUTBOX_MAX_ATTEMPTS', 20, 1, 1000),
    },
    kt: {
      sequencerPollMs: integer(env, 'KT_SEQUENCER_POLL_MS', 200, 10, 1000),
      batchSize: integer(env, 'KT_BATCH_SIZE', 10000, 1, 100000),
      receiptWaitMs: integer(env, 'KT_RECEIPT_WAIT_MS', 0, 0, 2000),
      auditAnchorIntervalMs: integer(env, 'KT_AUDIT_ANCHOR_INTERVAL_MS', 60_000, 1000, 86_400_000),
      witnessDir: undefined,
    },
    devIdpPort: integer(env, 'DEV_IDP_PORT', port === 0 ? 0 : port + 1, 0, 65535),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 120000),
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65535),
    keyStore: keyStore(env),
    ca: {
      checkIntervalMs: integer(env, 'CA_CHECK_INTERVAL_MS', 3_600_000, 1000, 86_400_000),
      renewIntermediateBeforeSeconds: integer(env, 'CA_RENEW_INTERMEDIATE_BEFORE_SECONDS', 30 * 86400, 0, 10 * 365 * 86400),
    },
    tracing: tracing(env),
    enrollmentLimits: {
      startsPerIp: integer(env, 'ENROLLMENT_STARTS_PER_IP_PER_MINUTE', 20, 1, 1_000_000),
      startsPerOrg: integer(env, 'ENROLLMENT_STARTS_PER_ORG_PER_MINUTE', 300, 1, 1_000_000),
      lookupsPerIp: integer(env, 'ENROLLMENT_LOOKUPS_PER_IP_PER_MINUTE', 120, 1, 1_000_000),
      codesPerIp: integer(env, 'ENROLLMENT_CODES_PER_IP_PER_MINUTE', 10, 1, 1_000_000),
    },
  };
  if (config.metricsPort !== 0 && config.metricsPort === config.port) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT (${config.port}): metrics are not served on the API port`);
  }
  // Development keeps the witness beside its embedded database; production names a volume that
  // survives a database restore (never the database's own volume).
  if (env.KT_WITNESS_DIR) config.kt.witnessDir = path.resolve(env.KT_WITNESS_DIR);
  else if (mode === 'development') config.kt.witnessDir = path.join(config.dataDir, 'kt-witness');
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (config.adminToken !== undefined && config.adminToken.length < 32) {
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 32 characters');
  }
  if (mode === 'production') {
    if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required in production (NODE_ENV=production)');
    if (!config.kek) throw new ConfigError('KEK', 'is required in production (NODE_ENV=production)');
    // Without the break-glass token the first org is created by a platform admin signing in (PLATFORM_ADMIN_ORG).
    if (!config.adminToken && config.admin.breakGlass) {
      throw new ConfigError('ADMIN_TOKEN', 'is required in production (NODE_ENV=production) unless ADMIN_TOKEN_DISABLED=true');
    }
  }
  if (env.ADMIN_TOKEN_DISABLED !== undefined && !['true', 'false', ''].includes(env.ADMIN_TOKEN_DISABLED)) {
    throw new ConfigError('ADMIN_TOKEN_DISABLED', 'must be true or false');
  }
  if ((config.admin.platformOrg === null) !== (config.admin.platformGroups.length === 0)) {
    throw new ConfigError(
      'PLATFORM_ADMIN_GROUPS',
      'PLATFORM_ADMIN_ORG and PLATFORM_ADMIN_GROUPS are set together (the org whose groups grant platform-admin)',
    );
  }
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
