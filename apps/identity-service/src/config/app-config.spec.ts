import { ConfigError, loadConfig } from './app-config.js';

const KEK = Buffer.alloc(32, 7).toString('base64');
const ADMIN = 'a'.repeat(40);

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills development defaults when nothing is configured', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('development');
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.publicUrl).toBe('http://localhost:8080');
  });

  it('requires DATABASE_URL, KEK and ADMIN_TOKEN in production, naming each', () => {
    expect(failure({ NODE_ENV: 'production', KEK, ADMIN_TOKEN: ADMIN }).variable).toBe('DATABASE_URL');
    expect(failure({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', ADMIN_TOKEN: ADMIN }).variable).toBe('KEK');
    expect(failure({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', KEK }).variable).toBe('ADMIN_TOKEN');
    const ok = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', KEK, ADMIN_TOKEN: ADMIN });
    expect(ok.kek?.length).toBe(32);
    expect(ok.admin).toEqual({ breakGlass: true, platformOrg: null, platformGroups: [] });
  });

  it('turns the break-glass token off with ADMIN_TOKEN_DISABLED=true (then production needs no ADMIN_TOKEN), and reads the operator org', () => {
    const off = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', KEK, ADMIN_TOKEN_DISABLED: 'true' });
    expect(off.admin.breakGlass).toBe(false);
    expect(failure({ ADMIN_TOKEN_DISABLED: 'yes' }).variable).toBe('ADMIN_TOKEN_DISABLED');
    const ops = loadConfig({ PLATFORM_ADMIN_ORG: 'ops', PLATFORM_ADMIN_GROUPS: 'Platform Operators, 5f0c' });
    expect(ops.admin).toEqual({ breakGlass: true, platformOrg: 'ops', platformGroups: ['Platform Operators', '5f0c'] });
    expect(failure({ PLATFORM_ADMIN_ORG: 'ops' }).variable).toBe('PLATFORM_ADMIN_GROUPS');
  });

  it('rejects malformed values with the variable name', () => {
    expect(failure({ DATABASE_URL: 'mysql://x/y' }).message).toContain('DATABASE_URL');
    expect(failure({ DATABASE_URL: 'not a url' }).variable).toBe('DATABASE_URL');
    expect(failure({ KEK: Buffer.alloc(16).toString('base64') }).message).toMatch(/KEK must decode to 32 bytes/);
    expect(failure({ PORT: '80a' }).variable).toBe('PORT');
    expect(failure({ PORT: '70000' }).variable).toBe('PORT');
    expect(failure({ ADMIN_TOKEN: 'short' }).variable).toBe('ADMIN_TOKEN');
    expect(failure({ LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
  });

  it('selects the PKCS#11 key store only with a module, one token and a PIN, never echoing the PIN', () => {
    expect(loadConfig({}).keyStore).toEqual({ kind: 'database' });
    expect(failure({ KEY_STORE: 'vault' }).variable).toBe('KEY_STORE');
    expect(failure({ KEY_STORE: 'pkcs11' }).variable).toBe('PKCS11_MODULE');
    const base = { KEY_STORE: 'pkcs11', PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' };
    expect(failure({ ...base, PKCS11_PIN: '1234' }).variable).toBe('PKCS11_TOKEN_LABEL');
    expect(failure({ ...base, PKCS11_PIN: '1234', PKCS11_TOKEN_LABEL: 'a', PKCS11_SLOT: '1' }).variable).toBe('PKCS11_TOKEN_LABEL');
    expect(failure({ ...base, PKCS11_TOKEN_LABEL: 'ca' }).variable).toBe('PKCS11_PIN');
    const missing = failure({ ...base, PKCS11_TOKEN_LABEL: 'ca', PKCS11_PIN_FILE: '/nonexistent/secret-pin-file' });
    expect(missing.variable).toBe('PKCS11_PIN_FILE');
    expect(loadConfig({ ...base, PKCS11_SLOT: '7', PKCS11_PIN: 's3cret' }).keyStore).toMatchObject({
      kind: 'pkcs11',
      slot: 7,
      pin: 's3cret',
      sessions: 4,
    });
  });

  it('serves metrics on a port of their own', () => {
    expect(loadConfig({}).metricsPort).toBe(9464);
    expect(failure({ PORT: '9000', METRICS_PORT: '9000' }).variable).toBe('METRICS_PORT');
  });

  it('never echoes a secret value in its message', () => {
    const e = failure({ KEK: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=' });
    expect(e.message).not.toContain('c2VjcmV0');
  });

  it('turns tracing on with an OTLP endpoint or OTEL_TRACING=on, and off by default or when told', () => {
    expect(loadConfig({}).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      enabled: true,
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'mls-identity',
      headers: {},
    });
    const signal = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k%3D1, team = id',
    });
    expect(signal.tracing).toMatchObject({ enabled: true, tracesUrl: 'https://otel.example/traces', headers: { 'x-api-key': 'k=1', team: 'id' } });
    expect(loadConfig({ OTEL_TRACING: 'on' }).tracing).toMatchObject({ enabled: true, tracesUrl: 'http://localhost:4318/v1/traces' });
    expect(loadConfig({ OTEL_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing.enabled).toBe(false);
    expect(failure({ OTEL_TRACING: 'yes' }).variable).toBe('OTEL_TRACING');
    expect(failure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }).variable).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(failure({ OTEL_EXPORTER_OTLP_HEADERS: 'justakey' }).variable).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    const secret = failure({ OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr3t%E0%A4%A' });
    expect(secret.variable).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    expect(secret.message).not.toContain('s3cr3t');
  });
});
