/**
 * RFC 7643 §2.3.5 dateTime: an xsd:dateTime, e.g. "2008-01-23T04:56:22Z". Entra sends
 * seven fractional digits ("...21.8617979-07:00"), which xsd allows.
 */
const XSD_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** Milliseconds since the epoch, or undefined when the text is not an xsd:dateTime. */
export function parseDateTime(text: string): number | undefined {
  const m = XSD_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +h > 23 || +mi > 59 || +s > 59) return undefined;
  const days = new Date(Date.UTC(+y, +mo, 0)).getUTCDate();
  if (+d > days) return undefined;
  // Without a zone xsd leaves the time local to an unknown place; UTC is the only defensible reading.
  const ms = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '';
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${zone}`);
  return Number.isNaN(value) ? undefined : value;
}

/** The instant as an ISO 8601 UTC string with millisecond precision (what PostgreSQL is given). */
export function normalizeDateTime(text: string): string | undefined {
  const value = parseDateTime(text);
  return value === undefined ? undefined : new Date(value).toISOString();
}
