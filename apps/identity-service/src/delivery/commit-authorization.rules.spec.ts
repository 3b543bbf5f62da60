import { commitReasons, senderRefusal, type CommitFacts, type JudgedMember } from './commit-authorization.rules.js';
import { allCommitReasonCodes, COMMIT_REASONS, MEMBER_REASONS, type MemberReason } from './delivery.reasons.js';

const ALICE = 'acc-alice';
const BOB = 'acc-bob';
const CAROL = 'acc-carol';
const ok = (accountId: string): JudgedMember => ({ accountId, reasons: [] });

/** A group at epoch 5: Alice (room admin) at leaf 0, Bob at 1 and 2, Carol at 3; Alice commits, nothing else. */
function facts(over: Partial<CommitFacts> = {}): CommitFacts {
  return {
    epoch: '5',
    committer: { leafIndex: 0, member: ok(ALICE) },
    adds: [],
    proposals: [],
    accountAtLeaf: new Map([
      [0, ALICE],
      [1, BOB],
      [2, BOB],
      [3, CAROL],
    ]),
    roomAdmins: [ALICE],
    membershipPolicy: 'members',
    openRemovals: [],
    ...over,
  };
}

const codes = (f: CommitFacts) => commitReasons(f).map((r) => r.code);
const asCarol = { committer: { leafIndex: 3, member: ok(CAROL) } };
const asBob = { committer: { leafIndex: 1, member: ok(BOB) } };

describe('commit authorization rules', () => {
  it('allows a plain commit by a valid member', () => {
    expect(commitReasons(facts())).toEqual([]);
  });

  describe('the commit itself', () => {
    it('refuses a commit its committer did not sign, and one for another group or epoch', () => {
      expect(senderRefusal(true, 'bad signature')).toEqual([{ code: 'commit_signature_invalid', detail: 'bad signature' }]);
      expect(senderRefusal(false, 'epoch 4, group at 5')).toEqual([{ code: 'commit_not_applicable', detail: 'epoch 4, group at 5' }]);
    });

    it('refuses references to proposals nobody provided', () => {
      const f = facts({ proposals: [{ index: 0, ref: 'aa', kind: 'unresolved' }] });
      expect(commitReasons(f)).toEqual([
        { code: 'unresolved_proposal_reference', detail: 'proposal 0 references a proposal the service was not given' },
      ]);
    });
  });

  describe('credentials', () => {
    it('prefixes the member reasons of the committer, its UpdatePath leaf and added members', () => {
      const f = facts({
        committer: { leafIndex: 0, member: { accountId: ALICE, reasons: ['credential_expired'] } },
        updatePath: { accountId: ALICE, reasons: ['key_mismatch'] },
        adds: [{ index: 0, suite: 'X', suiteMatchesGroup: true, member: { reasons: ['credential_revoked', 'device_revoked'] } }],
      });
      expect(codes(f)).toEqual(['committer_credential_expired', 'update_path_key_mismatch', 'add_credential_revoked', 'add_device_revoked']);
    });

    it('refuses an UpdatePath that hands the leaf to another account', () => {
      expect(codes(facts({ updatePath: ok(BOB) }))).toEqual(['update_path_changes_account']);
      expect(codes(facts({ updatePath: ok(ALICE) }))).toEqual([]);
      // an unknown new credential is reported by its own reasons, not as a change of account
      expect(codes(facts({ updatePath: { reasons: ['device_unknown'] } }))).toEqual(['update_path_device_unknown']);
    });

    it("refuses an Add whose KeyPackage is for another suite, or does not verify, in the proposals' order", () => {
      const f = facts({
        adds: [
          { index: 0, keyPackageInvalid: 'bad KeyPackage signature' },
          { index: 1, suite: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256', suiteMatchesGroup: false, member: ok(CAROL) },
        ],
      });
      expect(commitReasons(f)).toEqual([
        { code: 'add_key_package_invalid', detail: 'proposal 0: bad KeyPackage signature' },
        { code: 'add_ciphersuite_mismatch', detail: 'proposal 1: KeyPackage suite MLS_128_DHKEMP256_AES128GCM_SHA256_P256' },
      ]);
    });
  });

  describe('room admins', () => {
    it('lets only a room admin remove another account', () => {
      const removeAlice = { proposals: [{ index: 0, kind: 'remove' as const, removedLeaf: 0 }] };
      expect(commitReasons(facts({ ...asCarol, ...removeAlice }))).toEqual([
        { code: 'remove_requires_room_admin', detail: 'removing the member at leaf 0 needs a room admin' },
      ]);
      expect(codes(facts({ ...asCarol, ...removeAlice, roomAdmins: [ALICE, CAROL] }))).toEqual([]);
      expect(codes(facts({ proposals: [{ index: 0, kind: 'remove', removedLeaf: 3 }] }))).toEqual([]);
    });

    it("lets any member remove its own account's other devices", () => {
      expect(codes(facts({ ...asBob, proposals: [{ index: 0, kind: 'remove', removedLeaf: 2 }] }))).toEqual([]);
      expect(codes(facts({ ...asBob, proposals: [{ index: 0, kind: 'remove', removedLeaf: 3 }] }))).toEqual(['remove_requires_room_admin']);
    });

    it("lets any member commit the service's own removals by reference", () => {
      const openRemovals = [{ id: '7', epoch: '5', leafIndex: 0, proposalRef: 'beef' }];
      expect(codes(facts({ ...asCarol, openRemovals, proposals: [{ index: 0, ref: 'beef', kind: 'remove', removedLeaf: 0 }] }))).toEqual([]);
      // the same Remove by value, or by reference to another proposal, is the committer's own
      expect(codes(facts({ ...asCarol, openRemovals, proposals: [{ index: 0, kind: 'remove', removedLeaf: 0 }] }))).toEqual([
        'remove_requires_room_admin',
      ]);
      expect(codes(facts({ ...asCarol, openRemovals, proposals: [{ index: 0, ref: 'f00d', kind: 'remove', removedLeaf: 0 }] }))).toEqual([
        'remove_requires_room_admin',
      ]);
    });

    it('does not treat a committer without an account as anyone', () => {
      const stranger = { committer: { leafIndex: 4, member: { reasons: ['credential_not_x509' as const] } } };
      const f = facts({ ...stranger, accountAtLeaf: new Map([[4, null]]), proposals: [{ index: 0, kind: 'remove', removedLeaf: 4 }] });
      expect(codes(f)).toEqual(['committer_credential_not_x509', 'remove_requires_room_admin']);
    });

    it('needs a room admin to change extensions or re-initialize the group', () => {
      const f = facts({
        ...asCarol,
        proposals: [
          { index: 0, kind: 'group_context_extensions', listsService: true },
          { index: 1, kind: 'reinit' },
        ],
      });
      expect(codes(f)).toEqual(['extensions_require_room_admin', 'reinit_requires_room_admin']);
      expect(codes({ ...f, roomAdmins: [CAROL] })).toEqual([]);
    });

    it("lets any member commit the service's own external-sender swap, and nothing that passes for it", () => {
      const swap = { index: 0, ref: 'aa', kind: 'group_context_extensions' as const, listsService: true, servicesOwn: true };
      expect(codes(facts({ ...asCarol, proposals: [swap] }))).toEqual([]);
      // another extensions change by the same member is still a room admin's
      expect(codes(facts({ ...asCarol, proposals: [{ ...swap, servicesOwn: false }] }))).toEqual(['extensions_require_room_admin']);
      // and even the service's own reference cannot drop the service
      expect(codes(facts({ ...asCarol, proposals: [{ ...swap, listsService: false }] }))).toEqual(['external_senders_drops_service']);
    });
  });

  describe('membership policy', () => {
    const addCarol = { index: 0, suite: 'X', suiteMatchesGroup: true, member: ok(CAROL) };
    const addBob = { index: 1, suite: 'X', suiteMatchesGroup: true, member: ok(BOB) };

    it('lets any member add any valid account under the members policy', () => {
      expect(codes(facts({ ...asBob, adds: [addCarol] }))).toEqual([]);
    });

    it('needs a room admin for each Add under admins-only', () => {
      const f = facts({ ...asCarol, membershipPolicy: 'admins-only', adds: [addCarol, addBob] });
      expect(commitReasons({ ...f, adds: [addBob] })).toEqual([
        { code: 'add_requires_room_admin', detail: "proposal 1: the group's membership policy is admins-only" },
      ]);
      // Carol adding her own new device needs nobody; Bob's device is another account's
      expect(codes(f)).toEqual(['add_requires_room_admin']);
      expect(codes({ ...f, roomAdmins: [ALICE, CAROL] })).toEqual([]);
      // Alice is a room admin
      expect(codes(facts({ membershipPolicy: 'admins-only', adds: [addCarol, addBob] }))).toEqual([]);
    });

    it('does not treat a committer without an account, or an unverifiable KeyPackage, as its own device', () => {
      const nobody = { committer: { leafIndex: 4, member: { reasons: ['device_unknown' as const] } } };
      expect(
        codes(
          facts({ ...nobody, membershipPolicy: 'admins-only', adds: [{ index: 0, suite: 'X', suiteMatchesGroup: true, member: { reasons: [] } }] }),
        ),
      ).toEqual(['committer_device_unknown', 'add_requires_room_admin']);
      expect(codes(facts({ ...asCarol, membershipPolicy: 'admins-only', adds: [{ index: 0, keyPackageInvalid: 'bad signature' }] }))).toEqual([
        'add_key_package_invalid',
        'add_requires_room_admin',
      ]);
    });

    it('leaves commits without Adds alone', () => {
      expect(codes(facts({ ...asCarol, membershipPolicy: 'admins-only' }))).toEqual([]);
    });
  });

  describe('the service as external sender', () => {
    it('refuses extensions that drop the service, even from a room admin', () => {
      expect(codes(facts({ proposals: [{ index: 0, kind: 'group_context_extensions', listsService: false }] }))).toEqual([
        'external_senders_drops_service',
      ]);
      // a group that never listed the service may change its extensions freely
      expect(codes(facts({ proposals: [{ index: 0, kind: 'group_context_extensions', listsService: null }] }))).toEqual([]);
    });

    it("insists on the service's removals for this epoch", () => {
      const openRemovals = [
        { id: '7', epoch: '5', leafIndex: 1, proposalRef: 'aa' },
        { id: '8', epoch: '5', leafIndex: 2, proposalRef: 'bb' },
        { id: '6', epoch: '4', leafIndex: 3, proposalRef: 'cc' },
      ];
      expect(commitReasons(facts({ openRemovals }))).toEqual([
        { code: 'pending_removal_not_included', detail: 'removal 7 of the member at leaf 1 must be committed' },
        { code: 'pending_removal_not_included', detail: 'removal 8 of the member at leaf 2 must be committed' },
      ]);
      // included by reference, or the leaf removed by the committer's own Remove (Alice is admin)
      const both = facts({
        openRemovals,
        proposals: [
          { index: 0, ref: 'aa', kind: 'remove', removedLeaf: 1 },
          { index: 1, kind: 'remove', removedLeaf: 2 },
        ],
      });
      expect(codes(both)).toEqual([]);
      // a reference the DS could not resolve still counts as included, and is refused on its own
      expect(codes(facts({ openRemovals: openRemovals.slice(0, 1), proposals: [{ index: 0, ref: 'aa', kind: 'unresolved' }] }))).toEqual([
        'unresolved_proposal_reference',
      ]);
    });
  });

  it('reports every broken rule at once, in a stable order', () => {
    const f = facts({
      committer: { leafIndex: 3, member: { accountId: CAROL, reasons: ['device_revoked'] } },
      updatePath: ok(BOB),
      adds: [{ index: 0, suite: 'X', suiteMatchesGroup: false, member: { reasons: ['account_inactive'] } }],
      proposals: [
        { index: 1, kind: 'remove', removedLeaf: 0 },
        { index: 2, ref: 'dd', kind: 'unresolved' },
        { index: 3, kind: 'group_context_extensions', listsService: false },
      ],
      openRemovals: [{ id: '9', epoch: '5', leafIndex: 1, proposalRef: 'ee' }],
    });
    expect(codes(f)).toEqual([
      'add_ciphersuite_mismatch',
      'committer_device_revoked',
      'update_path_changes_account',
      'add_account_inactive',
      'remove_requires_room_admin',
      'unresolved_proposal_reference',
      'extensions_require_room_admin',
      'external_senders_drops_service',
      'pending_removal_not_included',
    ]);
  });

  // KeyPackage validation's suite check is not a member check of commits
  const memberChecks = (Object.keys(MEMBER_REASONS) as MemberReason[]).filter((r) => r !== 'ciphersuite_mismatch');

  it.each(memberChecks)('gives %s of the committer, its new leaf and an added member as prefixed codes', (reason) => {
    const f = facts({
      committer: { leafIndex: 0, member: { accountId: ALICE, reasons: [reason] } },
      updatePath: { accountId: ALICE, reasons: [reason] },
      adds: [{ index: 0, suite: 'X', suiteMatchesGroup: true, member: { reasons: [reason] } }],
    });
    expect(codes(f)).toEqual([`committer_${reason}`, `update_path_${reason}`, `add_${reason}`]);
  });

  it('declares exactly the codes it gives', () => {
    const given = new Set<string>(
      senderRefusal(true, '')
        .concat(senderRefusal(false, ''))
        .map((r) => r.code),
    );
    const everything = facts({
      ...asCarol,
      membershipPolicy: 'admins-only',
      updatePath: ok(BOB),
      adds: [
        { index: 0, keyPackageInvalid: 'x' },
        { index: 1, suite: 'X', suiteMatchesGroup: false, member: ok(CAROL) },
      ],
      proposals: [
        { index: 2, ref: 'dd', kind: 'unresolved' },
        { index: 3, kind: 'remove', removedLeaf: 0 },
        { index: 4, kind: 'group_context_extensions', listsService: false },
        { index: 5, kind: 'reinit' },
      ],
      openRemovals: [{ id: '9', epoch: '5', leafIndex: 1, proposalRef: 'ee' }],
    });
    for (const code of codes(everything)) given.add(code);
    for (const reason of memberChecks) for (const p of ['committer_', 'update_path_', 'add_']) given.add(`${p}${reason}`);
    expect([...given].sort()).toEqual([...allCommitReasonCodes()].sort());
    expect(Object.keys(COMMIT_REASONS).every((c) => given.has(c))).toBe(true);
  });
});
