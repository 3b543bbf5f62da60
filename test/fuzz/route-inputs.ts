import fc from 'fast-check';

/**
 * Generated requests for the route fuzz. Ids of things that exist are drawn while the run
 * goes on (a created user is patched and deleted later in the same run), so an input names
 * them abstractly — `@ref:<pool>:<n>` — and the runner resolves the reference when it sends.
 */
export type PoolName =
  | 'users'
  | 'groups'
  | 'accounts'
  | 'idps'
  | 'idpLinks'
  | 'scimTokens'
  | 'dsClients'
  | 'auditorTokens'
  | 'devices'
  | 'certificates'
  | 'certificateSha'
  | 'enrollments'
  | 'deliveries'
  | 'crlFiles'
  | 'sources'
  | 'csrs'
  | 'leafCertificates'
  | 'mlsGroups'
  | 'groupInfos'
  | 'ownDevice'
  | 'ownDeviceCsrs';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, string>;
  /** undefined: no body; { raw } sends the string as it is (malformed JSON among others). */
  body?: { json: unknown } | { raw: string };
  contentType?: string;
  /**
   * Routes a device may call: 'device' signs the request with the fixture device's key and
   * chain (at send time, over the exact path and body), 'junk' sends a damaged signature.
   */
  auth: 'default' | 'device' | 'junk';
  /** Which generator produced it: the acceptance floor counts only 'valid' ones. */
  origin: 'valid' | 'mutated' | 'random';
}

export const ref = (pool: PoolName) => fc.nat({ max: 1_000_000 }).map((n) => `@ref:${pool}:${n}`);

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** Strings that break naive parsers: escapes, separators, unicode, control characters. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('%', '%E0%A4%A', '%00', '../..', '\\', '"', "'", '\u0000', '\ud800', '💥', ' ', '', '-1', '1e999', 'NaN', 'null', '[]', '{}'),
);
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** A value in place of a path parameter: mostly one that exists, sometimes anything at all. */
function paramValue(pool: PoolName | undefined, fixed: string[] | undefined, existing: boolean) {
  const options: fc.Arbitrary<string>[] = [];
  if (pool) options.push(ref(pool));
  if (fixed) options.push(fc.constantFrom(...fixed));
  if (existing && options.length > 0) return fc.oneof(...options);
  options.push(fc.uuid(), nasty);
  return fc.oneof(...options);
}

/** Which pool a path parameter's ids come from, by route. */
export function paramPool(path: string, name: string): { pool?: PoolName; fixed?: string[] } {
  if (name === 'org') return { fixed: ['acme'] };
  if (name === 'accountId') return { pool: 'accounts' };
  if (path.includes('idp-links')) return name === 'id' ? { pool: 'accounts' } : { pool: 'idpLinks' };
  if (name === 'groupId') return { pool: 'mlsGroups', fixed: ['AAEC'] };
  if (name === 'sha256') return { pool: 'certificateSha' };
  if (name === 'sourceId') return { pool: 'sources' };
  if (name === 'file') return { pool: 'crlFiles' };
  if (name === 'path') return { fixed: ['0/000', '0/x001/000', '1/000.p/5', 'entries/000'] };
  if (name === 'rest') return { fixed: ['Nope', 'Users/x/y', 'Bulk/1'] };
  if (path.includes('/Users')) return { pool: 'users' };
  if (path.includes('/Groups')) return { pool: 'groups' };
  if (path.includes('ResourceTypes')) return { fixed: ['User', 'Group'] };
  if (path.includes('Schemas')) return { fixed: [CORE_USER, CORE_GROUP, ENTERPRISE] };
  if (path.includes('/accounts/')) return { pool: 'accounts' };
  if (path.includes('idp-connections')) return { pool: 'idps' };
  if (path.includes('scim-tokens')) return { pool: 'scimTokens' };
  if (path.includes('ds-clients')) return { pool: 'dsClients' };
  if (path.includes('auditor-tokens')) return { pool: 'auditorTokens' };
  if (path.endsWith('/certificate/renew')) return { pool: 'ownDevice' };
  if (path.includes('devices/')) return { pool: 'devices' };
  if (path.includes('certificates/')) return { pool: 'certificates' };
  if (path.includes('enrollments/')) return { pool: 'enrollments' };
  if (path.includes('deliveries/')) return { pool: 'deliveries' };
  return {};
}

/** existing: only ids that exist (for valid requests); otherwise also random ones and junk. */
export function paramsArbitrary(path: string, existing: boolean): fc.Arbitrary<Record<string, string>> {
  const names = [...path.matchAll(/[:*]([A-Za-z0-9]+)/g)].map((m) => m[1]);
  return fc.record(Object.fromEntries(names.map((n) => [n, paramValue(paramPool(path, n).pool, paramPool(path, n).fixed, existing)])));
}

// ---- SCIM -----------------------------------------------------------------------------------

const userName = fc.tuple(word, fc.nat({ max: 1_000_000 })).map(([w, n]) => `${w}.${n}@acme.example`);
const scimUser = fc.record(
  {
    schemas: fc.constantFrom([CORE_USER], [CORE_USER, ENTERPRISE]),
    userName,
    externalId: word,
    displayName: fc.string({ minLength: 1, maxLength: 30 }),
    active: fc.boolean(),
    name: fc.record({ givenName: word, familyName: word }, { requiredKeys: [] }),
    emails: fc.array(fc.record({ value: userName, type: fc.constantFrom('work', 'home'), primary: fc.boolean() }), { maxLength: 2 }),
    [ENTERPRISE]: fc.record({ employeeNumber: word, department: word }, { requiredKeys: [] }),
  },
  { requiredKeys: ['schemas', 'userName'] },
);
const scimGroup = fc.record(
  {
    schemas: fc.constant([CORE_GROUP]),
    displayName: fc.tuple(word, fc.nat({ max: 1_000_000 })).map(([w, n]) => `${w}-${n}`),
    externalId: word,
    members: fc.array(fc.record({ value: ref('users') }), { maxLength: 3 }),
  },
  { requiredKeys: ['schemas', 'displayName'] },
);

const filterLeaf = fc.oneof(
  userName.map((u) => `userName eq "${u}"`),
  word.map((w) => `userName sw "${w}"`),
  word.map((w) => `emails.value co "${w}"`),
  fc.boolean().map((b) => `active eq ${b}`),
  fc.constant('externalId pr'),
  word.map((w) => `name.familyName ne "${w}"`),
  word.map((w) => `emails[type eq "work" and value co "${w}"]`),
  fc.constant('meta.lastModified gt "2020-01-01T00:00:00Z"'),
  word.map((w) => `displayName eq "${w}"`),
  ref('users').map((r) => `members.value eq "${r}"`),
);
const { filter } = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    filterLeaf,
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or'), tie('filter')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
  ),
}));

const scimQuery = fc.record(
  {
    filter,
    startIndex: fc.integer({ min: 1, max: 20 }).map(String),
    count: fc.integer({ min: 0, max: 50 }).map(String),
    attributes: fc.constantFrom('userName', 'displayName,members', 'emails.value', 'id'),
    excludedAttributes: fc.constantFrom('members', 'emails', 'groups'),
    sortBy: fc.constantFrom('userName', 'meta.created', 'displayName'),
    sortOrder: fc.constantFrom('ascending', 'descending'),
  },
  { requiredKeys: [] },
);

const userPatchOp = fc.oneof(
  fc.record({
    op: fc.constantFrom('replace', 'Replace'),
    path: fc.constant('active'),
    value: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False')),
  }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('name.givenName'), value: word }),
  fc.record({
    op: fc.constant('add'),
    path: fc.constant('emails'),
    value: fc.array(fc.record({ value: userName, type: fc.constant('work') }), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ op: fc.constant('remove'), path: fc.constantFrom('emails[type eq "work"]', 'name.familyName', 'externalId') }),
  fc.record({ op: fc.constant('replace'), value: fc.record({ displayName: word, active: fc.boolean() }, { requiredKeys: [] }) }),
  fc.record({ op: fc.constant('replace'), path: fc.constant(`${ENTERPRISE}:department`), value: word }),
);
const groupPatchOp = fc.oneof(
  fc.record({
    op: fc.constant('add'),
    path: fc.constant('members'),
    value: fc.array(fc.record({ value: ref('users') }), { minLength: 1, maxLength: 2 }),
  }),
  ref('users').map((u) => ({ op: 'remove', path: `members[value eq "${u}"]` })),
  fc.record({ op: fc.constant('replace'), path: fc.constant('displayName'), value: word }),
  fc.record({ op: fc.constant('replace'), value: fc.record({ displayName: word }) }),
);
const patchOf = (op: fc.Arbitrary<unknown>) =>
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(op, { minLength: 1, maxLength: 3 }) });

const bulkOperation = fc.oneof(
  fc.tuple(word, scimUser).map(([bulkId, data]) => ({ method: 'POST', path: '/Users', bulkId, data })),
  fc.tuple(word, scimGroup).map(([bulkId, data]) => ({ method: 'POST', path: '/Groups', bulkId, data })),
  fc.tuple(ref('users'), patchOf(userPatchOp)).map(([id, data]) => ({ method: 'PATCH', path: `/Users/${id}`, data })),
  ref('users').map((id) => ({ method: 'DELETE', path: `/Users/${id}` })),
  fc.constantFrom('/Users/%E0%A4%A', '/Users/%', '/Nope/1').map((path) => ({ method: 'DELETE', path })),
);

// ---- the service's own routes -----------------------------------------------------------------

const settings = fc.record(
  {
    certificates: fc.record(
      { lifetimeDays: fc.integer({ min: 1, max: 30 }), crlValidityMinutes: fc.integer({ min: 5, max: 600 }) },
      { requiredKeys: [] },
    ),
    removals: fc.record({ overdueAfterMinutes: fc.integer({ min: 1, max: 60 }) }),
    enrollment: fc.record(
      {
        maxActiveDevicesPerAccount: fc.integer({ min: 1, max: 20 }),
        onLimit: fc.constantFrom('refuse', 'revoke-oldest'),
        allowJitAccounts: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/** Valid bodies (and query strings) by `${method} ${handler}`; the runner supplies the issuer. */
export function validInputs(issuer: string): Record<string, { body?: fc.Arbitrary<unknown>; query?: fc.Arbitrary<Record<string, string>> }> {
  const listQuery = fc.record({ limit: fc.integer({ min: 1, max: 1000 }).map(String) }, { requiredKeys: [] });
  return {
    'POST AdminController.createOrg': {
      body: fc.record({
        slug: fc.tuple(word, fc.nat({ max: 1_000_000 })).map(([w, n]) => `${w}-${n}`),
        name: fc.string({ minLength: 1, maxLength: 200 }),
      }),
    },
    'PATCH AdminController.updateSettings': { body: fc.record({ settings }) },
    'POST AdminController.addIdp': {
      body: fc.record(
        {
          name: fc.tuple(word, fc.nat({ max: 1_000_000 })).map(([w, n]) => `${w}-${n}`),
          kind: fc.constantFrom('okta', 'oidc'),
          issuer: fc.constant(issuer),
          clientId: word,
          clientSecret: fc.string({ maxLength: 40 }),
          requireMfa: fc.boolean(),
          nativeClientIds: fc.array(word, { maxLength: 2 }),
        },
        { requiredKeys: ['name', 'kind', 'issuer', 'clientId'] },
      ),
    },
    'POST AdminController.createScimToken': { body: fc.record({ description: fc.string({ maxLength: 200 }) }, { requiredKeys: [] }) },
    'POST AdminController.createDsClient': {
      body: fc.record(
        { name: fc.string({ minLength: 1, maxLength: 200 }), webhookUrl: fc.constant('http://127.0.0.1:9/hooks/mls') },
        { requiredKeys: ['name'] },
      ),
    },
    'POST AuditorTokensController.create': { body: fc.record({ description: fc.string({ maxLength: 200 }) }, { requiredKeys: [] }) },
    'GET AuditController.auditEvents': {
      query: fc.record(
        {
          limit: fc.integer({ min: 1, max: 1000 }).map(String),
          action: fc.constantFrom('scim_token.create', 'device.*', 'org.settings.update'),
          actor: fc.constantFrom('admin:bootstrap', 'system'),
          target: fc.constantFrom('org', 'device', 'scim_token'),
          since: fc.constant('2020-01-01T00:00:00Z'),
        },
        { requiredKeys: [] },
      ),
    },
    'GET AuditController.exportEvents': {
      query: fc.record({ action: fc.constantFrom('scim_token.create', 'device.*'), target: fc.constantFrom('org', 'device') }, { requiredKeys: [] }),
    },
    'POST AdminPkiController.rotate': { body: fc.record({ level: fc.constantFrom('intermediate', 'root') }) },
    'POST KtAdminController.rotate': { body: fc.record({ overlapSeconds: fc.integer({ min: 0, max: 86_400 }) }, { requiredKeys: [] }) },
    'POST AdminDevicesController.revokeDevice': {
      body: fc.record({ reason: fc.constantFrom('keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified') }, { requiredKeys: [] }),
    },
    'POST AdminDevicesController.revokeCertificate': {
      body: fc.record({ reason: fc.constantFrom('keyCompromise', 'superseded', 'affiliationChanged') }, { requiredKeys: [] }),
    },
    'POST AdminIdpLinksController.link': {
      body: fc.record({ idpConnection: fc.oneof(ref('idps'), fc.constant('okta')), subject: word }, { requiredKeys: ['idpConnection'] }),
    },
    'GET AdminDevicesController.list': {
      query: fc.record(
        {
          accountId: ref('accounts'),
          status: fc.constantFrom('active', 'revoked', 'expired'),
          platform: fc.constantFrom('ios', 'android', 'IOS'),
          name: word,
          limit: fc.integer({ min: 1, max: 1000 }).map(String),
        },
        { requiredKeys: [] },
      ),
    },
    'PATCH AdminDevicesController.rename': {
      body: fc.record({ name: fc.string({ minLength: 1, maxLength: 100 }).filter((n) => /^[^\p{Cc}\p{Cf}]+$/u.test(n)) }),
    },
    'GET AccountAdminController.search': {
      query: fc.record(
        {
          q: fc.string({ minLength: 1, maxLength: 20 }),
          field: fc.constantFrom('any', 'userName', 'email', 'name'),
          match: fc.constantFrom('prefix', 'substring'),
          status: fc.constantFrom('active', 'suspended', 'inactive'),
          limit: fc.integer({ min: 1, max: 1000 }).map(String),
        },
        { requiredKeys: [] },
      ),
    },
    'PATCH ConnectionAdminController.updateIdp': {
      body: fc.record(
        {
          clientSecret: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: null }),
          claimMapping: fc.dictionary(fc.constantFrom('email', 'name', 'sub'), fc.constantFrom('mail', 'upn', 'preferred_username'), { maxKeys: 3 }),
          requireMfa: fc.boolean(),
          matchByVerifiedEmail: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    },
    'PATCH ConnectionAdminController.updateDs': {
      body: fc.record(
        { name: fc.string({ minLength: 1, maxLength: 200 }), webhookUrl: fc.constantFrom(null, 'http://127.0.0.1:9/hooks/mls') },
        { requiredKeys: [] },
      ),
    },
    'POST ConnectionAdminController.rotateDs': {
      body: fc.record(
        { overlapSeconds: fc.integer({ min: 0, max: 86_400 }), token: fc.boolean(), webhookSecret: fc.boolean() },
        { requiredKeys: [] },
      ),
    },
    'POST ConnectionAdminController.rotateScim': { body: fc.record({ overlapSeconds: fc.integer({ min: 0, max: 86_400 }) }, { requiredKeys: [] }) },
    'GET ReportsController.enrollments': { query: fc.record({ days: fc.integer({ min: 1, max: 366 }).map(String) }, { requiredKeys: [] }) },
    'GET ReportsController.certificateExpiry': {
      query: fc.record({ days: fc.integer({ min: 1, max: 366 }).map(String), bucket: fc.constantFrom('day', 'week') }, { requiredKeys: [] }),
    },
    'POST CertificatesController.check': {
      body: fc.record({ fingerprints: fc.array(fc.oneof(ref('certificateSha'), hex64), { maxLength: 5 }) }),
    },
    'POST RenewalController.renew': { body: fc.record({ csr: ref('ownDeviceCsrs') }) },
    'PUT RemovalsController.report': { body: fc.record({ groupInfo: ref('groupInfos') }) },
    'POST DeliveryController.validateCredential': { body: fc.record({ chain: ref('leafCertificates').map((c) => [c]) }) },
    'POST EnrollmentController.create': {
      body: fc.record(
        {
          csr: ref('csrs'),
          deviceName: fc.string({ minLength: 1, maxLength: 100 }),
          platform: fc.constantFrom('ios', 'android', 'linux', 'web'),
          ciphersuite: fc.constant(1),
          flow: fc.constantFrom('redirect', 'device'),
          idpConnection: fc.constant('okta'),
        },
        { requiredKeys: ['csr', 'deviceName', 'platform', 'ciphersuite', 'idpConnection'] },
      ),
    },
    'GET RemovalsController.removals': {
      query: fc.record(
        { after: fc.nat({ max: 1000 }).map(String), wait: fc.constant('0'), limit: fc.integer({ min: 1, max: 1000 }).map(String) },
        { requiredKeys: [] },
      ),
    },
    'GET RemovalsController.overdueForDs': { query: listQuery },
    'GET RemovalsController.overdueForAdmin': { query: listQuery },
    'GET RemovalsController.deliveries': { query: listQuery },
    'GET KtController.inclusion': { query: fc.record({ index: fc.nat({ max: 5 }).map(String), size: fc.integer({ min: 1, max: 8 }).map(String) }) },
    'GET KtController.consistency': { query: fc.record({ from: fc.nat({ max: 4 }).map(String), to: fc.integer({ min: 4, max: 8 }).map(String) }) },
    'GET ScimUsersController.list': { query: scimQuery },
    'GET ScimGroupsController.list': { query: scimQuery },
    'POST ScimUsersController.search': {
      body: fc.record(
        { schemas: fc.constant([SEARCH]), filter, startIndex: fc.integer({ min: 1, max: 9 }), count: fc.integer({ min: 0, max: 20 }) },
        { requiredKeys: ['schemas'] },
      ),
    },
    'POST ScimGroupsController.search': { body: fc.record({ schemas: fc.constant([SEARCH]), filter: fc.constant('displayName pr') }) },
    'POST ScimRootController.search': { body: fc.record({ schemas: fc.constant([SEARCH]), filter }, { requiredKeys: ['schemas'] }) },
    'POST ScimUsersController.create': { body: scimUser },
    'PUT ScimUsersController.replace': { body: scimUser },
    'PATCH ScimUsersController.patch': { body: patchOf(userPatchOp) },
    'POST ScimGroupsController.create': { body: scimGroup },
    'PUT ScimGroupsController.replace': { body: scimGroup },
    'PATCH ScimGroupsController.patch': { body: patchOf(groupPatchOp) },
    'POST ScimRootController.runBulk': {
      body: fc.record(
        {
          schemas: fc.constant([BULK]),
          failOnErrors: fc.integer({ min: 1, max: 5 }),
          Operations: fc.array(bulkOperation, { minLength: 1, maxLength: 4 }),
        },
        { requiredKeys: ['schemas', 'Operations'] },
      ),
    },
  };
}

/** A valid body with one thing wrong: a key dropped, a value swapped for any JSON, a key added. */
export function mutate(body: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(body, fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('drop', 'swap', 'add', 'wrap')).map(([value, n, junk, how]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return junk;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = keys[n % Math.max(keys.length, 1)];
    if (how === 'drop' && key) delete copy[key];
    else if (how === 'swap' && key) copy[key] = junk;
    else if (how === 'wrap' && key) copy[key] = [copy[key], junk];
    else copy[`x${n % 7}`] = junk;
    return copy;
  });
}

const anyQuery = fc.dictionary(
  fc.constantFrom(
    'filter',
    'startIndex',
    'count',
    'attributes',
    'excludedAttributes',
    'sortBy',
    'sortOrder',
    'limit',
    'after',
    'accountId',
    'index',
    'size',
    'from',
    'to',
    'access_token',
    'wait',
  ),
  nasty,
  { maxKeys: 3 },
);

/** Everything the runner sends to one route: valid, mutated or random bodies and queries. */
export function routeInput(route: { method: string; path: string; handler: string; authKinds: string[] }, issuer: string): fc.Arbitrary<RouteInput> {
  const valid = validInputs(issuer)[`${route.method} ${route.handler}`] ?? {};
  const hasBody = !['GET', 'DELETE'].includes(route.method);
  const scim = route.path.startsWith('/scim');
  const validQuery = valid.query ?? fc.constant({});
  const validBody = valid.body ?? fc.constant({});
  const contentType = scim ? 'application/scim+json' : 'application/json';
  const device = route.authKinds.includes('device');
  const onlyDevice = device && route.authKinds.length === 1;
  const auth = (origin: RouteInput['origin']): fc.Arbitrary<RouteInput['auth']> =>
    !device
      ? fc.constant('default')
      : origin === 'valid'
        ? fc.constant(onlyDevice ? 'device' : 'default')
        : fc.constantFrom<RouteInput['auth']>('device', 'junk', 'default');
  const build = (
    origin: RouteInput['origin'],
    body: fc.Arbitrary<RouteInput['body']>,
    query: fc.Arbitrary<Record<string, string>>,
  ): fc.Arbitrary<RouteInput> =>
    fc.record({
      params: paramsArbitrary(route.path, origin === 'valid'),
      query,
      body,
      contentType: fc.constant(contentType),
      auth: auth(origin),
      origin: fc.constant(origin),
    });
  return fc.oneof(
    { weight: 6, arbitrary: build('valid', hasBody ? validBody.map((json) => ({ json })) : fc.constant(undefined), validQuery) },
    {
      weight: 2,
      arbitrary: build('mutated', hasBody ? mutate(validBody).map((json) => ({ json })) : fc.constant(undefined), fc.oneof(validQuery, anyQuery)),
    },
    {
      weight: 2,
      arbitrary: build(
        'random',
        hasBody
          ? fc.oneof(
              fc.jsonValue({ maxDepth: 4 }).map((json) => ({ json })),
              fc.string({ maxLength: 60 }).map((raw) => ({ raw })),
            )
          : fc.constant(undefined),
        anyQuery,
      ),
    },
  );
}
