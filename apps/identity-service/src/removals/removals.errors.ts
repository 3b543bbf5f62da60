import { defineErrors } from '../common/errors/domain-error.js';

/** The removals module's refusals: group reports, room admins, webhook replays and the MLS input helpers. */
export const RemovalErrors = defineErrors('removals', {
  bad_group_cursor: ['invalid_input', 'the cursor is not one this service handed out for the group list'],
  bad_group_id: ['invalid_input', 'the group id in the path is not canonical unpadded base64url of 1 to 255 bytes'],
  unsupported_ciphersuite: ['invalid_input', 'the service does not act as external sender in this cipher suite'],
  group_id_mismatch: ['unprocessable', 'the reported GroupInfo belongs to another group id than the path names'],
  leaf_key_mismatch: ['unprocessable', "a leaf's signature key is not the key of its certificate (RFC 9420 §5.3.1): no member would accept the tree"],
  stale_epoch: ['conflict', 'the registry already holds a newer epoch of this group than the one reported'],
  signer_untrusted: [
    'unprocessable',
    'the GroupInfo of a first registration (or an authorized re-base) is not signed by a valid, key-bound, active device of the org',
  ],
  epoch_fork: ['conflict', 'the registered epoch is reported with another GroupContext (tree or transcript): the group is flagged'],
  continuity_unproven: [
    'conflict',
    'the reported epoch does not follow the registered one through a commit the service saw at authorization: the group is flagged until an org admin re-bases it',
  ],
  group_owned_by_other_client: [
    'forbidden',
    'another delivery-service client of the org registered this group; only it may report, authorize or audit it',
  ],
  unknown_group: ['not_found', 'no group with this id has been reported by a delivery service of this org'],
  not_room_admin: ['forbidden', 'only org admins and room admins of the group may change its room admins'],
  unknown_delivery: ['not_found', 'no webhook delivery with this id was sent to the calling delivery-service client'],
  external_sender_rotation_in_progress: [
    'conflict',
    'an external-sender rotation of this suite has not completed: groups are still moving to the new sender',
  ],
  no_external_sender_rotation: ['conflict', 'there is no external-sender rotation in progress to force'],
  replay_rate_limited: ['rate_limited', 'too many webhook replays by this client; retry after the Retry-After seconds'],
});

export type RemovalErrorCode = keyof typeof RemovalErrors.specs;
