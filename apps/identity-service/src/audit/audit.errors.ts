import { defineErrors } from '../common/errors/domain-error.js';

export const AuditErrors = defineErrors('audit', {
  audit_cursor_invalid: [
    'invalid_input',
    'the `cursor` is not one this endpoint handed out (cursors are opaque: pass back `cursor` from the previous page)',
  ],
  audit_time_range_invalid: ['invalid_input', '`since` is not before `until`'],
});

/** Why an org's audit chain fails verification (`reason` in the 200 answer of `GET …/audit/verify`, and `mlsid audit verify`). */
export const AUDIT_CHAIN_BREAKS: Readonly<Record<string, string>> = {
  edited: 'an entry does not hash to its recorded hash, or no longer links to its predecessor: it was changed after it was written',
  deleted: 'a sequence number is missing, or the chain ends before a sequence the KT log (or the chain head) anchors: entries were deleted',
  reordered: 'entries are out of sequence order, or an intact entry follows another predecessor than the one it was chained to',
  anchor_mismatch: 'the KT log anchors this sequence at another hash: the chain up to it was rewritten',
};
