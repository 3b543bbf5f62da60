/**
 * attrPath of RFC 7644 §3.4.2.2: [URI ":"] ATTRNAME *1subAttr.
 *
 * Schema URNs contain dots and colons ("...:enterprise:2.0:User"), so a URN-qualified path
 * is split at its last colon; whether the whole text names an extension instead (a PATCH
 * path such as "urn:...:enterprise:2.0:User") is decided against the schema.
 */
export interface AttrPath {
  /** Schema URN qualifying the attribute, as written. */
  readonly uri?: string;
  readonly name: string;
  readonly subAttr?: string;
}

/** ATTRNAME = ALPHA *(nameChar); "$ref" is the RFC 7643 §2.1 exception. */
const ATTRNAME = /^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$/;

export function isAttrName(text: string): boolean {
  return ATTRNAME.test(text);
}

/** Split an attrPath; undefined when it does not follow the grammar. */
export function splitAttrPath(text: string): AttrPath | undefined {
  let uri: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(':');
    uri = text.slice(0, colon);
    rest = text.slice(colon + 1);
    if (!/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$/i.test(uri)) return undefined;
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every(isAttrName)) return undefined;
  return parts.length === 2 ? { uri, name: parts[0], subAttr: parts[1] } : { uri, name: parts[0] };
}

/** The path as text, e.g. "name.givenName" or "urn:...:User:manager.value". */
export function formatAttrPath(path: AttrPath): string {
  const local = path.subAttr ? `${path.name}.${path.subAttr}` : path.name;
  return path.uri ? `${path.uri}:${local}` : local;
}
