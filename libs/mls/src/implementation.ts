// What this project's MLS side is built on, and where it departs from RFC 9420 or works around
// its library, as the org's MLS profile discloses it (GET /.well-known/mls-identity/{org}).
// Keep in step with ../README.md "ts-mls 1.6.4 workarounds" and package.json.

export interface MlsDeviation {
  readonly id: string;
  readonly rfc9420: string;
  readonly description: string;
}

export const MLS_IMPLEMENTATION = {
  library: 'ts-mls',
  version: '1.6.4',
  glue: 'libs/mls (RFC 9420 structures ts-mls 1.6.4 gets wrong are encoded, checked and indexed here)',
} as const;

export const MLS_KNOWN_DEVIATIONS: readonly MlsDeviation[] = [
  {
    id: 'external-senders-list-form',
    rfc9420: '§12.1.8.1',
    description:
      'ts-mls 1.6.4 reads external_senders as one ExternalSender; the service always writes and reads the RFC list form, and ts-mls clients must use the libs/mls wrappers (createGroupWithExternalSenders, admitExternalRemoveProposal, admitExternalSendersSwap).',
  },
  {
    id: 'external-proposal-group-epoch-check',
    rfc9420: '§6',
    description:
      'ts-mls 1.6.4 takes external proposals without checking group_id and epoch; receivers must run the libs/mls receiver guard (checkExternalRemoveProposal) first.',
  },
  {
    id: 'public-message-commits',
    rfc9420: '§6.2, §8.2',
    description:
      'The service follows a group from outside: commits must reach it as PublicMessage for authorization and continuity; a PrivateMessage commit cannot be followed and the next report is refused.',
  },
  {
    id: 'x509-credentials-only',
    rfc9420: '§5.3',
    description: 'Members are identified by x509 credentials of the org CA only; basic credentials are not on record and get no service removals.',
  },
];
