import type { JWTPayload } from 'jose';
import { refuse } from '../enrollment.errors.js';

/** A claim that must be a non-empty string (an IdP that sends another type is refused). */
export function requiredString(claims: JWTPayload, name: string): string {
  const v = claims[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024) {
    refuse('id_token_claim_missing', `the ID token has no usable ${name} claim`);
  }
  return v;
}

export function optionalString(claims: JWTPayload, name: string): string | null {
  const v = claims[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null;
}

export function stringList(claims: JWTPayload, name: string): string[] | null {
  const v = claims[name];
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return null;
}

/**
 * RFC 8176 §2 method values that are a second factor (or a phishing-resistant single one);
 * `mfa` is what both Okta and Entra put in `amr` after multi-factor sign-in.
 */
const MULTI_FACTOR_AMR = new Set(['mfa', 'hwk', 'swk', 'otp', 'sms', 'tel', 'fpt', 'face', 'iris', 'retina', 'vbm', 'sc']);

export function amrShowsMultiFactor(claims: JWTPayload): boolean {
  const amr = stringList(claims, 'amr') ?? [];
  return amr.some((m) => MULTI_FACTOR_AMR.has(m));
}
