import type { AuditEvent } from '../audit/index.js';
import { effectiveSettings, type DsClient, type IdpConnection, type Org, type ScimToken } from '../orgs/index.js';
import { DEFAULT_WEBHOOK_EVENTS } from '../removals/index.js';

// Explicit views: an entity is never serialised as is, so a hash or a sealed secret added
// to a table can't leak through the API by default.

export const orgView = (o: Org) => ({
  id: o.id,
  slug: o.slug,
  name: o.name,
  settings: effectiveSettings(o.settings),
  createdAt: o.createdAt,
});

export const idpConnectionView = (c: IdpConnection) => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  issuer: c.issuer,
  clientId: c.clientId,
  hasClientSecret: c.clientSecretSealed !== null,
  claimMapping: c.claimMapping,
  allowedTenants: c.allowedTenants,
  requireMfa: c.requireMfa,
  matchByVerifiedEmail: c.matchByVerifiedEmail,
  nativeClientIds: c.nativeClientIds,
  createdAt: c.createdAt,
});

export const scimTokenView = (t: ScimToken) => ({
  id: t.id,
  description: t.description,
  prefix: t.tokenPrefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

export const dsClientView = (c: DsClient) => ({
  id: c.id,
  name: c.name,
  prefix: c.tokenPrefix,
  webhookUrl: c.webhookUrl,
  webhookEvents: c.webhookEvents ?? [...DEFAULT_WEBHOOK_EVENTS],
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
  revokedAt: c.revokedAt,
});

export const auditEventView = (e: AuditEvent) => {
  const colon = e.target.indexOf(':');
  return {
    id: e.id,
    seq: e.seq,
    actor: e.actor,
    actorRoles: e.actorRoles,
    actorVia: e.actorVia,
    sourceIp: e.sourceIp,
    requestId: e.requestId,
    action: e.action,
    target: e.target,
    targetType: colon > 0 ? e.target.slice(0, colon) : e.target,
    targetId: colon > 0 ? e.target.slice(colon + 1) : null,
    details: e.details,
    before: e.before,
    after: e.after,
    createdAt: e.createdAt,
    prevHash: Buffer.from(e.prevHash).toString('hex'),
    hash: Buffer.from(e.hash).toString('hex'),
  };
};
