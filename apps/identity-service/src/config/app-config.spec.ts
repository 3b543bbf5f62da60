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
});
