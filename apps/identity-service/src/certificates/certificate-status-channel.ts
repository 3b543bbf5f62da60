/** PostgreSQL NOTIFY channel: payload is an org id whose certificate statuses changed. */
export const CERTIFICATE_STATUS_CHANNEL = 'mlsid_certificate_status';
