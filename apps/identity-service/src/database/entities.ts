import { Account } from '../accounts/account.entity.js';
import { Device } from '../devices/device.entity.js';
import { ScimGroup } from '../accounts/scim-group.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { OrgCa } from '../certificates/ca.entity.js';
import { Certificate } from '../certificates/certificate.entity.js';
import { EnrollmentSession } from '../enrollment/sessions/enrollment-session.entity.js';
import { CustodyKey } from '../keys/custody-key.entity.js';
import { DsClient } from '../orgs/ds-client.entity.js';
import { IdpConnection } from '../orgs/idp-connection.entity.js';
import { Org } from '../orgs/org.entity.js';
import { ScimToken } from '../orgs/scim-token.entity.js';
import { AuditorToken } from '../orgs/auditor-token.entity.js';
import { OutboxMessage } from '../outbox/outbox-message.entity.js';
import { MlsExternalSender } from '../removals/external-sender.entity.js';
import { MlsGroup, MlsGroupMember, MlsRoomAdmin } from '../removals/mls-group.entity.js';
import { Removal } from '../removals/removal.entity.js';
import { WebhookDelivery } from '../removals/webhook-delivery.entity.js';
import { KtCheckpoint, KtLog } from '../transparency/kt-log.entity.js';

/** Every entity the service maps; each capability adds its own here with its migration. */
export const entities = [
  Org,
  IdpConnection,
  ScimToken,
  DsClient,
  CustodyKey,
  OutboxMessage,
  AuditEvent,
  Account,
  Device,
  Certificate,
  OrgCa,
  EnrollmentSession,
  ScimGroup,
  KtLog,
  KtCheckpoint,
  AuditorToken,
  MlsExternalSender,
  MlsGroup,
  MlsGroupMember,
  MlsRoomAdmin,
  Removal,
  WebhookDelivery,
];
