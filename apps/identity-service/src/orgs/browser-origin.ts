/** Hosts a development browser app may be served from over plain http. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** A DNS name or an IPv4/IPv6 literal: the WHATWG parser lets through '*' and other characters a real host never has. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

/**
 * An origin a browser app of the org may call the service from: exactly as a browser serializes
 * it in the Origin header (RFC 6454 §6.2: lower-case scheme and host, the port only when not the
 * default, no path, no trailing slash), https, or http on a loopback host for development.
 * Wildcards and `null` are refused: each origin is listed on its own.
 */
export function isBrowserOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 200) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.origin !== value || !HOST.test(url.hostname)) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}
