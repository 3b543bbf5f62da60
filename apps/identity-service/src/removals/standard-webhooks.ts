import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com) signing: headers `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `{id}.{timestamp}.{body}`. The key is the secret's random bytes: our DS-client secrets
 * are `mlsid_whsec_<base64url of 32 bytes>`, so the key is that base64url part decoded
 * (as Standard Webhooks decodes the base64 after `whsec_`).
 */
export const WEBHOOK_SECRET_PREFIX = 'mlsid_whsec_';

export function webhookSigningKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('not a webhook secret minted by this service');
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64url');
}

export function webhookSignature(key: Uint8Array, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * One signature per key, space-separated, as Standard Webhooks lists them: during a secret
 * rotation's overlap a receiver still holding the previous secret verifies the message too.
 */
export function webhookHeaders(keys: Uint8Array | readonly Uint8Array[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const all = keys instanceof Uint8Array ? [keys] : keys;
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': all.map((key) => webhookSignature(key, id, timestampSeconds, body)).join(' '),
  };
}
