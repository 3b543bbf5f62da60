/**
 * A log's origin (c2sp.org/tlog-checkpoint: the first checkpoint line, conventionally a
 * schema-less URL) and the name of its signing key: `{host of PUBLIC_URL}/kt/{org slug}`.
 */
export function logOrigin(publicUrl: string, orgSlug: string): string {
  return `${new URL(publicUrl).host}/kt/${orgSlug}`;
}
