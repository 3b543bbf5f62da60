// The org's MLS profile disclosure (GET /.well-known/mls-identity/{org}) as a c2sp.org/signed-note
// signed by the org's key-transparency log key(s):
//
//   mls-identity profile v1
//   <log origin>                       (the key name of every signature line)
//   <the profile as canonical JSON>    (RFC 8785: sorted keys, no whitespace, ES number and string forms)
//
// The service answers `{ profile, signedNote }`; a verifier checks the note's signatures with
// the log key (pinned, or given out of band), then that the JSON line is exactly the canonical
// form of `profile`, so a body edited after signing is refused. Shared by the service and mlsid.
import { openSignedNote, SignatureFailure, type NoteVerifier } from '#tlog';
import { canonicalJson } from './canonical-json.js';

export const MLS_PROFILE_NOTE_HEADER = 'mls-identity profile v1';

/** A profile whose body is not the one its signed note carries, or a note that is not a profile. */
export class MlsProfileMismatch extends SignatureFailure {
  static override readonly code = 'ERR_MLS_PROFILE_MISMATCH';
}

/** The note text the log key signs. */
export function mlsProfileNoteText(origin: string, profile: unknown): string {
  return `${MLS_PROFILE_NOTE_HEADER}\n${origin}\n${canonicalJson(profile)}\n`;
}

/**
 * Verifies a profile disclosure: a signature by one of `verifiers` (SignatureFailure
 * otherwise), the note is a profile of that origin, and `profile` is exactly what was signed
 * (MlsProfileMismatch otherwise). Returns the signed profile and the origin.
 */
export function openMlsProfile(signedNote: string, profile: unknown, verifiers: readonly NoteVerifier[]): { origin: string; profile: unknown } {
  const opened = openSignedNote(signedNote, verifiers);
  const lines = opened.text.split('\n');
  if (lines.length !== 4 || lines[0] !== MLS_PROFILE_NOTE_HEADER || lines[3] !== '')
    throw new MlsProfileMismatch('the signed note is not an MLS profile');
  const [, origin, json] = lines as [string, string, string, string];
  if (!opened.verified.every((s) => s.name === origin)) throw new MlsProfileMismatch('the profile is signed under another name than its origin');
  let canonical: string;
  try {
    canonical = canonicalJson(profile);
  } catch {
    throw new MlsProfileMismatch('the profile is not JSON data');
  }
  if (canonical !== json) throw new MlsProfileMismatch('the profile differs from the one the log key signed');
  return { origin, profile: JSON.parse(json) as unknown };
}
