import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '../config/index.js';
import { CredentialsService, OrgsService } from '../orgs/index.js';
import { effectiveSettings } from '../orgs/index.js';
import { DEV_ADMIN_GROUP, DEV_CLIENTS, DEV_USERS, type DevIdp } from './dev-idp.js';
import { readDevCredentials, writeDevCredentials, type DevCredentials } from './dev-credentials.js';

const DEMO_ORG = 'demo';
const ACTOR = 'system:dev-mode';

/**
 * DEV ONLY: the demo org with a SCIM token, a delivery-service client and the dev IdP as
 * its IdP connection. Tokens from an earlier run are kept while they still work, so
 * scripts holding dev-credentials.json keep working across restarts.
 */
export async function seedDemoOrg(app: INestApplication, config: AppConfig, idp: DevIdp): Promise<DevCredentials> {
  const orgs = app.get(OrgsService);
  const credentials = app.get(CredentialsService);
  const previous = await readDevCredentials(config.dataDir);

  const org = (await orgs.findBySlug(DEMO_ORG)) ?? (await orgs.create(ACTOR, DEMO_ORG, 'Demo Org (DEV)'));

  const scimOk = previous.scimToken && (await credentials.resolveScimToken(previous.scimToken))?.orgSlug === DEMO_ORG;
  const scimToken = scimOk ? previous.scimToken! : (await credentials.createScimToken(ACTOR, org, 'dev mode SCIM token')).token;
  const dsOk = previous.dsToken && (await credentials.resolveDsToken(previous.dsToken))?.orgSlug === DEMO_ORG;
  const dsToken = dsOk ? previous.dsToken! : (await credentials.createDsClient(ACTOR, org, 'dev delivery service', null)).token;

  const existing = (await orgs.listIdpConnections(org.id)).find((c) => c.name === 'dev-idp');
  if (existing && (existing.issuer !== idp.issuer || orgs.idpClientSecret(existing) !== idp.serviceClientSecret)) {
    await orgs.removeIdpConnection(ACTOR, org, existing.id);
  }
  if (!existing || existing.issuer !== idp.issuer || orgs.idpClientSecret(existing) !== idp.serviceClientSecret) {
    await orgs.addIdpConnection(ACTOR, org, {
      name: 'dev-idp',
      kind: 'oidc',
      issuer: idp.issuer,
      clientId: DEV_CLIENTS.service,
      clientSecret: idp.serviceClientSecret,
      nativeClientIds: [DEV_CLIENTS.app],
      requireMfa: false,
      // The demo provisions people by name; the DEV IdP's emails are its own and marked verified.
      matchByVerifiedEmail: true,
    });
  }

  // The DEV IdP's `admin` signs in to the demo org as org-admin (the console in dev mode).
  if (effectiveSettings(org.settings).adminRoles.map[DEV_ADMIN_GROUP] !== 'org-admin') {
    await orgs.updateSettings(ACTOR, org, { adminRoles: { groupsClaim: 'groups', map: { [DEV_ADMIN_GROUP]: 'org-admin' } } });
  }

  const creds: DevCredentials = {
    baseUrl: config.publicUrl,
    org: DEMO_ORG,
    adminToken: config.adminToken!,
    scimToken,
    dsToken,
    idp: { issuer: idp.issuer, clientId: DEV_CLIENTS.service, appClientId: DEV_CLIENTS.app, users: Object.keys(DEV_USERS) },
  };
  await writeDevCredentials(config.dataDir, creds);
  return creds;
}
