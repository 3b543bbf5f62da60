import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, id_ce_nameConstraints, NameConstraints } from '@peculiar/asn1-x509';
import { Extension, type X509Certificate } from '@peculiar/x509';
import { MalformedInputError, ProfileParameterError } from './errors.js';
import { requireOrgSlug } from './identity-uri.js';

/**
 * The org intermediate's name constraints (RFC 5280 §4.2.1.10), critical as the RFC requires:
 * one permitted uniformResourceIdentifier subtree whose base is the org slug. For URIs the
 * constraint applies to the host part, and a base without a leading '.' names exactly one host,
 * so only `mls-identity://{org}/...` (and any other scheme with host {org}) is permitted;
 * `mls-identity://{other}/...` is not.
 *
 * With `emailDomains`, one permitted rfc822Name subtree per domain: a base without '@' or a
 * leading '.' is one host, so `ada@example.com` is permitted by `example.com` and
 * `ada@mail.example.com` is not (RFC 5280 §4.2.1.10, as OpenSSL applies it). Without them
 * rfc822Name stays unconstrained, and other name types are deliberately left unconstrained.
 */
export function orgNameConstraintsExtension(orgSlug: string, emailDomains: readonly string[] = []): Extension {
  const bases = [
    new GeneralName({ uniformResourceIdentifier: requireOrgSlug(orgSlug) }),
    ...emailDomains.map((domain) => new GeneralName({ rfc822Name: requireEmailDomain(domain) })),
  ];
  const value = new NameConstraints({ permittedSubtrees: new GeneralSubtrees(bases.map((base) => new GeneralSubtree({ base }))) });
  return new Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

/** An ASCII DNS name of at least two labels, lower case: the form an rfc822Name constraint base takes. */
const EMAIL_DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function isEmailDomain(value: unknown): value is string {
  return typeof value === 'string' && EMAIL_DOMAIN.test(value);
}

function requireEmailDomain(domain: string): string {
  if (!isEmailDomain(domain)) throw new ProfileParameterError(`"${domain}" is not a lower-case ASCII domain name`);
  return domain;
}

/** The domain of a mailbox (after the last '@'), lower-cased; undefined when there is none. */
export function mailboxDomain(mailbox: string): string | undefined {
  const at = mailbox.lastIndexOf('@');
  return at > 0 && at < mailbox.length - 1 ? mailbox.slice(at + 1).toLowerCase() : undefined;
}

/** The decoded name constraints of a CA certificate, if it has them. */
export function nameConstraintsOf(certificate: X509Certificate): NameConstraints | undefined {
  const extension = certificate.getExtension(id_ce_nameConstraints);
  if (!extension) return undefined;
  try {
    return AsnConvert.parse(extension.value, NameConstraints);
  } catch (cause) {
    throw new MalformedInputError('name constraints extension is not valid DER', { cause });
  }
}

/**
 * The host of a URI as RFC 5280 §4.2.1.10 and OpenSSL take it: after "scheme://", up to the
 * first ':' or '/'. URIs without an authority have no host and match no URI constraint.
 */
export function uriHost(uri: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/:?#]*)/.exec(uri);
  if (!match || match[1].length === 0 || match[1].includes('@')) return undefined;
  return match[1];
}

function hostMatches(host: string, base: string): boolean {
  const h = host.toLowerCase();
  const b = base.toLowerCase();
  // A leading '.' means "any host in this domain", not the domain itself.
  return b.startsWith('.') ? h.endsWith(b) && h.length > b.length : h === b;
}

function dnsMatches(name: string, base: string): boolean {
  const n = name.toLowerCase();
  const b = base.toLowerCase().replace(/^\./, '');
  return n === b || n.endsWith(`.${b}`);
}

function mailboxMatches(mailbox: string, base: string): boolean {
  const at = mailbox.lastIndexOf('@');
  if (at < 0) return false;
  if (base.includes('@')) return mailbox.toLowerCase() === base.toLowerCase();
  const domain = mailbox.slice(at + 1).toLowerCase();
  const b = base.toLowerCase();
  return b.startsWith('.') ? domain.endsWith(b) : domain === b;
}

type ConstrainedType = 'uniformResourceIdentifier' | 'rfc822Name' | 'dNSName';

function typeOf(name: GeneralName): ConstrainedType | 'other' {
  if (name.uniformResourceIdentifier !== undefined) return 'uniformResourceIdentifier';
  if (name.rfc822Name !== undefined) return 'rfc822Name';
  if (name.dNSName !== undefined) return 'dNSName';
  return 'other';
}

function matches(name: GeneralName, base: GeneralName): boolean {
  if (name.uniformResourceIdentifier !== undefined && base.uniformResourceIdentifier !== undefined) {
    const host = uriHost(name.uniformResourceIdentifier);
    return host !== undefined && hostMatches(host, base.uniformResourceIdentifier);
  }
  if (name.rfc822Name !== undefined && base.rfc822Name !== undefined) {
    return mailboxMatches(name.rfc822Name, base.rfc822Name);
  }
  if (name.dNSName !== undefined && base.dNSName !== undefined) {
    return dnsMatches(name.dNSName, base.dNSName);
  }
  return false;
}

/**
 * Applies name constraints to a certificate's subjectAltName entries (RFC 5280 §6.1.3 (b), (c)).
 * Only URI, rfc822Name and dNSName constraints are understood; a constraint of any other type
 * (directoryName, IP, ...) fails closed, because ignoring it could permit what it forbids.
 * @returns a description of the violation, or undefined when the names are permitted.
 */
export function nameConstraintViolation(names: readonly GeneralName[], constraints: NameConstraints): string | undefined {
  const permitted = constraints.permittedSubtrees ?? [];
  const excluded = constraints.excludedSubtrees ?? [];
  for (const subtree of [...permitted, ...excluded]) {
    if (typeOf(subtree.base) === 'other' || subtree.minimum !== 0 || subtree.maximum !== undefined) {
      return 'name constraints use a name form this validator does not support';
    }
  }
  for (const name of names) {
    const type = typeOf(name);
    const label = describe(name);
    if (excluded.some((subtree) => matches(name, subtree.base))) {
      return `${label} is in an excluded subtree`;
    }
    const sameType = permitted.filter((subtree) => typeOf(subtree.base) === type);
    if (sameType.length > 0 && !sameType.some((subtree) => matches(name, subtree.base))) {
      return `${label} is outside the permitted subtrees`;
    }
  }
  return undefined;
}

function describe(name: GeneralName): string {
  return name.uniformResourceIdentifier ?? name.rfc822Name ?? name.dNSName ?? 'a subjectAltName entry';
}

/** Refuses to issue a certificate its own issuer's name constraints would make invalid (URI and rfc822Name). */
export function requireNamesPermittedByIssuer(names: { uri: string; email?: string }, issuer: X509Certificate): void {
  requireNamesPermitted(names, nameConstraintsOf(issuer));
}

/** The same check with the issuer's constraints decoded once (the issuance template). */
export function requireNamesPermitted(names: { uri: string; email?: string }, constraints: NameConstraints | undefined): void {
  if (!constraints) return;
  const generalNames = [new GeneralName({ uniformResourceIdentifier: names.uri })];
  if (names.email !== undefined) generalNames.push(new GeneralName({ rfc822Name: names.email }));
  const violation = nameConstraintViolation(generalNames, constraints);
  if (violation) {
    throw new ProfileParameterError(`issuer name constraints forbid this identity: ${violation}`);
  }
}
