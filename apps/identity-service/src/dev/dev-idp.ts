import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * DEV ONLY: a development OpenID Provider (npm oidc-provider) with demo users, so a fresh
 * checkout can enroll devices without an Okta or Entra tenant. It is never started when an
 * IdP is configured or in production. Its signing key and cookie keys live in the data
 * directory so tokens stay verifiable across restarts.
 */
export interface DevUser {
  sub: string;
  name: string;
  email: string;
  /** What a real IdP reports after password + second factor. */
  amr: string[];
  /** The groups claim (the demo org maps DEV_ADMIN_GROUP to org-admin). */
  groups?: string[];
}

/** The DEV IdP group the demo org maps to org-admin, so `admin` can sign in to the console. */
export const DEV_ADMIN_GROUP = 'mlsid-demo-admins';

export const DEV_USERS: Record<string, DevUser> = {
  alice: { sub: 'dev-alice', name: 'Alice Example', email: 'alice@demo.example', amr: ['pwd', 'mfa'] },
  bob: { sub: 'dev-bob', name: 'Bob Example', email: 'bob@demo.example', amr: ['pwd', 'mfa'] },
  carol: { sub: 'dev-carol', name: 'Carol Example', email: 'carol@demo.example', amr: ['pwd', 'mfa'] },
  admin: { sub: 'dev-admin', name: 'Dana Admin', email: 'admin@demo.example', amr: ['pwd', 'mfa'], groups: [DEV_ADMIN_GROUP] },
};

export const DEV_CLIENTS = {
  /** The service itself as confidential client (browser redirect and device flows). */
  service: 'mls-identity-dev',
  /** A native chat app as public client (ID token in hand). */
  app: 'mls-identity-dev-app',
};

export interface DevIdp {
  issuer: string;
  serviceClientSecret: string;
  close(): Promise<void>;
}

interface DevIdpState {
  jwk: Record<string, unknown>;
  cookieKeys: string[];
  serviceClientSecret: string;
}

async function loadState(dir: string): Promise<DevIdpState> {
  const file = path.join(dir, 'state.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevIdpState;
  } catch {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const state: DevIdpState = {
      jwk: { ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex') },
      cookieKeys: [randomBytes(32).toString('base64url')],
      serviceClientSecret: randomBytes(24).toString('base64url'),
    };
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(state), { mode: 0o600 });
    return state;
  }
}

export async function startDevIdp(options: { port: number; dataDir: string; serviceBaseUrl: string }): Promise<DevIdp> {
  const state = await loadState(path.join(options.dataDir, 'dev-idp'));
  const bySub = new Map(Object.values(DEV_USERS).map((u) => [u.sub, u]));
  const byLogin = new Map(Object.entries(DEV_USERS).map(([login, u]) => [login, u]));
  const issuer = `http://localhost:${options.port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_CLIENTS.service,
        client_secret: state.serviceClientSecret,
        redirect_uris: [`${options.serviceBaseUrl}/v1/enrollments/callback`, `${options.serviceBaseUrl}/v1/admin/sign-in/callback`],
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      {
        client_id: DEV_CLIENTS.app,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [state.jwk] },
    cookies: { keys: state.cookieKeys },
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    // Okta and Entra put the profile claims in the ID token of a code flow; enrollment maps them from there.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, id: string) {
      // devInteractions signs in with whatever login is typed: accept the demo logins and subs.
      const user = byLogin.get(id) ?? bySub.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: user.sub,
            email: user.email,
            email_verified: true,
            name: user.name,
            preferred_username: user.email,
            amr: user.amr,
            ...(user.groups ? { groups: user.groups } : {}),
          };
        },
      };
    },
  } as never);
  provider.proxy = true;
  const server: Server = await new Promise((resolve, reject) => {
    const s = provider.listen(options.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    issuer,
    serviceClientSecret: state.serviceClientSecret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
