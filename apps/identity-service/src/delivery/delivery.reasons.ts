/**
 * The reasons the delivery-service API gives inside 200 answers: a judgement, not a failed
 * request. Each is documented here once (docs/errors.md lists them beside the error families).
 */

/** Why a member (a credential, a KeyPackage's credential, a roster leaf) may not be in a group. */
export const MEMBER_REASONS = {
  credential_revoked: 'the certificate was revoked',
  credential_expired: 'the certificate has expired',
  credential_unknown: 'the chain verifies to the org CA but the certificate is not on record here',
  credential_untrusted: 'the chain does not verify to the org CA (or the certificate is not valid yet, or malformed)',
  credential_not_x509: 'the credential is not an x509 credential',
  key_mismatch: 'the MLS signature key is not the key the leaf certificate certifies (RFC 9420 §5.3.1)',
  device_unknown: 'the certificate names a device this org does not have (or of another account)',
  device_revoked: 'the device the certificate names is revoked',
  account_inactive: 'the account behind the device is deactivated or deleted',
  not_a_device: 'the certificate names a service, not a device',
  ciphersuite_mismatch: 'the KeyPackage uses another cipher suite than its device enrolled with (KeyPackage validation only)',
} as const satisfies Record<string, string>;

export type MemberReason = keyof typeof MEMBER_REASONS;

/** Why a commit may not be accepted (commit authorization, `reasons[].code`). */
export const COMMIT_REASONS = {
  commit_signature_invalid: "the commit is not signed by the committer's leaf key",
  commit_not_applicable: 'the message is not a PublicMessage commit for the group at its registered epoch',
  add_ciphersuite_mismatch: "an Add's KeyPackage is for another cipher suite than the group's",
  add_key_package_invalid: "an Add's KeyPackage does not verify (signature, lifetime or encoding)",
  update_path_changes_account: "the committer's UpdatePath gives its leaf a credential of another account",
  unresolved_proposal_reference: 'the commit references a proposal neither the service nor the delivery service provided',
  add_requires_room_admin:
    "the group's membership policy is admins-only: adding a member needs a room admin (a member may add its own account's devices)",
  remove_requires_room_admin: "removing another account's member needs a room admin (the service's own proposals excepted)",
  extensions_require_room_admin: 'changing the group context extensions needs a room admin',
  external_senders_drops_service: 'the new group context extensions no longer list the service as external sender',
  reinit_requires_room_admin: 're-initializing the group needs a room admin',
  pending_removal_not_included: 'a removal the service proposed for this epoch is neither included by reference nor otherwise removes its leaf',
} as const satisfies Record<string, string>;

/** Member reasons of the committer, its new UpdatePath leaf, and the members Adds bring in, as commit reasons. */
export const COMMIT_MEMBER_REASON_PREFIXES = {
  committer_: "the committer's credential fails a member check (committer_credential_revoked, …)",
  update_path_: "the committer's new leaf credential fails a member check",
  add_: 'a member an Add brings in fails a member check (add_device_revoked, …)',
} as const satisfies Record<string, string>;

export type CommitReasonCode = keyof typeof COMMIT_REASONS | `${keyof typeof COMMIT_MEMBER_REASON_PREFIXES}${MemberReason}`;

/** Every commit reason code that can occur, prefixed member reasons spelled out. */
export function allCommitReasonCodes(): CommitReasonCode[] {
  const memberChecks = (Object.keys(MEMBER_REASONS) as MemberReason[]).filter((r) => r !== 'ciphersuite_mismatch');
  const prefixed = (Object.keys(COMMIT_MEMBER_REASON_PREFIXES) as (keyof typeof COMMIT_MEMBER_REASON_PREFIXES)[]).flatMap((p) =>
    memberChecks.map((r) => `${p}${r}` as CommitReasonCode),
  );
  return [...(Object.keys(COMMIT_REASONS) as (keyof typeof COMMIT_REASONS)[]), ...prefixed];
}
