import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

// The headless browser lives with the CLI (dev mode signs in with it); tests reuse it.
export { confirmEnrollmentHeadless, signInHeadless, type HeadlessSignIn } from '../../apps/mlsid/src/dev-sign-in.js';

/**
 * A real OpenID Provider (npm oidc-provider, OpenID-certified) on a random loopback port,
 * shaped like an Okta org or an Entra tenant, for end-to-end enrollment tests. Users sign in
 * headlessly with `signInHeadless` (the same form protocol as the DEV IdP's devInteractions);
 * the IdP reports each user's `amr`/`acr` as a real IdP does after the factors it asked for.
 * It can also mint tokens with its own key (or a wrong one) to test what the service refuses.
 */
export type TestIdpProfile = 'okta' | 'entra';

export interface TestIdpUser {
  email: string;
  /** Okta-like: the user id (00u...), used as `sub`. Entra-like: unused (`sub` is pairwise). */
  sub?: string;
  /** Entra-like: the object id. */
  oid?: string;
  name?: string;
  preferredUsername?: string;
  amr?: string[];
  acr?: string;
  groups?: string[];
  /** Entra-like: too many groups, so the token carries the overage indicator instead. */
  groupsOverage?: boolean;
  /** Whether the IdP vouches for the email (Okta `email_verified`, Entra `xms_edov`); default true. */
  emailVerified?: boolean;
}

export interface TestIdpClient {
  clientId: string;
  /** Absent: a public (native) client. */
  clientSecret?: string;
  redirectUris: string[];
}

export interface TestIdpOptions {
  profile: TestIdpProfile;
  clients: TestIdpClient[];
  users?: Record<string, TestIdpUser>;
  /** Entra-like: the tenant id in the issuer and in `tid`. */
  tenantId?: string;
  /** Seconds a device_code lives (RFC 8628 expires_in). */
  deviceCodeTtl?: number;
}

export interface TestIdp {
  profile: TestIdpProfile;
  issuer: string;
  tenantId: string;
  /** login name -> user; tests may change a user between sign-ins. */
  users: Map<string, TestIdpUser>;
  /** Requests served per path (below the issuer), e.g. how often the JWKS was fetched. */
  requests: Map<string, number>;
  /** The IdP's signing key id. */
  kid: string;
  /** The public signing key as PEM, for the "HMAC keyed with the public key" attack. */
  publicKeyPem: string;
  /** Signs `claims` as this IdP would (RS256, its kid), or with another key/alg/kid. */
  mintIdToken(claims: JWTPayload, options?: { kid?: string; foreignKey?: boolean }): Promise<string>;
  /** An ID token with the claims this IdP would put in one for `login`. */
  idTokenClaims(login: string, clientId: string, nonce: string, overrides?: JWTPayload): JWTPayload;
  mintUnsecured(claims: JWTPayload): string;
  mintHmacWithPublicKey(claims: JWTPayload): Promise<string>;
  /** As if every device had waited its interval since its last token poll. */
  forgetDevicePolls(): void;
  close(): Promise<void>;
}

/** Entra's `sub` is pairwise (per app): an opaque value that is not the object id. */
function pairwise(accountId: string, clientId: string): string {
  return createHash('sha256').update(`${accountId}\0${clientId}`).digest('base64url').slice(0, 43);
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Okta's acr_values for two factors: the test IdP then has the user pass a second factor. */
const STEP_UP_ACR = 'urn:okta:loa:2fa:any';
/** oidc-provider's device flow interval (RFC 8628 §3.2 `interval`). */
const DEVICE_POLL_INTERVAL_S = 5;

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  const tenantId = options.tenantId ?? randomUUID();
  const users = new Map(Object.entries(options.users ?? {}));
  const requests = new Map<string, number>();
  const lastDevicePoll = new Map<string, number>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  // Okta: the org authorization server is the origin itself. Entra v2.0: /{tenant}/v2.0.
  const mount = options.profile === 'entra' ? `/${tenantId}/v2.0` : '';
  const issuer = `http://127.0.0.1:${port}${mount}`;

  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicKeyPem = await exportSPKI(publicKey);
  const foreign = await generateKeyPair('RS256');

  /** The `sub` this IdP gives a user: Okta's user id, or (Entra) an opaque value that is not `oid`. */
  const subjectOf = (login: string): string => {
    const u = users.get(login);
    if (!u) throw new Error(`no test user ${login}`);
    if (options.profile === 'entra') {
      u.oid ??= randomUUID();
      return pairwise(u.oid, 'entra-app');
    }
    return u.sub ?? `00u${createHash('sha256').update(login).digest('hex').slice(0, 17)}`;
  };
  const loginOf = (subject: string): string | undefined => [...users.keys()].find((l) => subjectOf(l) === subject);

  const userClaims = (login: string): JWTPayload => {
    const u = users.get(login);
    if (!u) throw new Error(`no test user ${login}`);
    if (options.profile === 'entra') {
      const oid = (u.oid ??= randomUUID());
      return {
        sub: subjectOf(login),
        tid: tenantId,
        oid,
        ver: '2.0',
        preferred_username: u.preferredUsername ?? u.email,
        email: u.email,
        xms_edov: u.emailVerified ?? true,
        name: u.name ?? login,
        ...(u.groupsOverage
          ? {
              _claim_names: { groups: 'src1' },
              _claim_sources: { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${oid}/getMemberObjects` } },
            }
          : u.groups
            ? { groups: u.groups }
            : {}),
      };
    }
    return {
      sub: subjectOf(login),
      email: u.email,
      email_verified: u.emailVerified ?? true,
      name: u.name ?? login,
      preferred_username: u.preferredUsername ?? u.email,
      ...(u.groups ? { groups: u.groups } : {}),
    };
  };

  const claimNames =
    options.profile === 'entra'
      ? { openid: ['sub', 'amr', 'acr', 'tid', 'oid', 'ver', 'preferred_username', 'email', 'xms_edov', 'name', 'groups'] }
      : { openid: ['sub', 'amr', 'acr'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] };

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : { token_endpoint_auth_method: 'none', application_type: 'native' }),
      redirect_uris: c.redirectUris,
      // Okta puts auth_time in every ID token; Entra only on request (max_age).
      ...(options.profile === 'okta' ? { require_auth_time: true } : {}),
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: claimNames,
    // Okta and Entra put the profile claims in the ID token of a code flow; so must we.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
    },
    ttl: { DeviceCode: options.deviceCodeTtl ?? 600 },
    // Okta's classes; a request for two factors makes the IdP ask for the second one.
    ...(options.profile === 'okta' ? { acrValues: ['urn:okta:loa:1fa:any', STEP_UP_ACR] } : {}),
    pkce: { required: () => false },
    async findAccount(_ctx: unknown, id: string) {
      const login = loginOf(id);
      if (!login) return undefined;
      return {
        accountId: id,
        async claims() {
          return userClaims(login);
        },
      };
    },
  } as never);
  provider.proxy = true;
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage & { originalUrl?: string; body?: unknown }, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${mount}/`) && url !== mount) {
      res.statusCode = 404;
      res.end();
      return;
    }
    req.originalUrl = url;
    req.url = url.slice(mount.length) || '/';
    const counted = req.url.split('?')[0];
    requests.set(counted, (requests.get(counted) ?? 0) + 1);
    const interactionSubmit = /^\/interaction\/[^/?]+$/.test(counted) && req.method === 'POST';
    if (counted === '/token' && req.method === 'POST') {
      void readForm(req).then((form) => {
        // RFC 8628 §3.5 slow_down, as Okta and Entra send it (oidc-provider never does).
        if (form.grant_type === DEVICE_CODE_GRANT && form.device_code) {
          const last = lastDevicePoll.get(form.device_code);
          lastDevicePoll.set(form.device_code, Date.now());
          if (last !== undefined && Date.now() - last < DEVICE_POLL_INTERVAL_S * 1000) {
            res.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
            res.end(JSON.stringify({ error: 'slow_down', error_description: 'polling too fast' }));
            return;
          }
        }
        req.body = form;
        callback(req, res);
      });
      return;
    }
    if (!interactionSubmit) {
      callback(req, res);
      return;
    }
    // The sign-in form: devInteractions would log in with no authentication methods; a real
    // IdP reports what the user did (amr/acr), so the login submission is answered here.
    void readForm(req).then(async (form) => {
      try {
        if (form.prompt !== 'login') {
          req.body = form;
          callback(req, res);
          return;
        }
        const user = users.get(form.login ?? '');
        if (!user) {
          await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'unknown user' },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const requested = String((await provider.interactionDetails(req, res)).params.acr_values ?? '').split(' ');
        const stepUp = options.profile === 'okta' && requested.includes(STEP_UP_ACR);
        const amr = user.amr ?? ['pwd'];
        await provider.interactionFinished(
          req,
          res,
          stepUp
            ? { login: { accountId: subjectOf(form.login), amr: [...new Set([...amr, 'mfa'])], acr: STEP_UP_ACR } }
            : { login: { accountId: subjectOf(form.login), amr, ...(user.acr ? { acr: user.acr } : {}) } },
          { mergeWithLastSubmission: false },
        );
      } catch (e) {
        res.statusCode = 400;
        res.end(String(e));
      }
    });
  });

  const baseClaims = (): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, iat: now, exp: now + 300, jti: randomUUID() };
  };

  return {
    profile: options.profile,
    issuer,
    tenantId,
    users,
    requests,
    kid,
    publicKeyPem,
    idTokenClaims(login, clientId, nonce, overrides = {}) {
      const u = users.get(login);
      const claims = userClaims(login);
      const base = baseClaims();
      const authTime = options.profile === 'okta' ? { auth_time: base.iat } : {};
      return { ...base, ...authTime, ...claims, aud: clientId, nonce, amr: u?.amr ?? ['pwd'], ...(u?.acr ? { acr: u.acr } : {}), ...overrides };
    },
    async mintIdToken(claims, opts = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kid, typ: 'JWT' })
        .sign(opts.foreignKey ? foreign.privateKey : privateKey);
    },
    mintUnsecured(claims) {
      return new UnsecuredJWT(claims).encode();
    },
    async mintHmacWithPublicKey(claims) {
      return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(publicKeyPem));
    },
    forgetDevicePolls: () => lastDevicePoll.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
