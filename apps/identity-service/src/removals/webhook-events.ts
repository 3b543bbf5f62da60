/**
 * The webhook event types a delivery-service client may subscribe to. `removals.proposed`
 * carries the feed's proposals; `external_senders.swap_proposed` the GroupContextExtensions
 * proposals of an external-sender key rotation (subscribed explicitly: a client that
 * never chose keeps its old events and reads swaps from GET /v1/ds/external-sender-swaps); the lifecycle events push what the status API and the CRL
 * would otherwise only answer when polled.
 */
export const WEBHOOK_EVENT_TYPES = [
  'removals.proposed',
  'external_senders.swap_proposed',
  'device.enrolled',
  'device.revoked',
  'certificate.revoked',
  'account.deprovisioned',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What a client that never chose gets: the behaviour from before lifecycle events existed. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = ['removals.proposed'];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}
