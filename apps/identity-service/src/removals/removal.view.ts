/** A removal as the feed and webhooks present it to a delivery service. */
export interface RemovalView {
  id: string;
  /** RFC 9420 group_id, unpadded base64url (the form used in /v1/ds/groups/{groupId} paths). */
  groupId: string;
  epoch: string;
  leafIndex: number;
  deviceId: string;
  reason: string;
  status: string;
  /** MLSMessage (PublicMessage, external sender) to hand to the group's members. */
  proposal: string;
  /** RFC 9420 §5.2 ProposalRef, base64: how a commit including it by reference names it. */
  proposalRef: string;
  plannedAt: string;
  signedAt: string;
}

/** The SQL that yields RemovalView columns (joined to mls_group as g, removal as r). */
export const REMOVAL_VIEW_COLUMNS = `r.id, g.group_id, r.epoch, r.leaf_index, r.device_id, r.reason, r.status,
  r.proposal, r.proposal_ref, r.planned_at, r.created_at, g.ds_client_id`;

export interface RemovalViewRow {
  id: string;
  group_id: Buffer;
  epoch: string;
  leaf_index: number;
  device_id: string;
  reason: string;
  status: string;
  proposal: Buffer;
  proposal_ref: Buffer;
  planned_at: Date;
  created_at: Date;
  /** The delivery-service client that owns the group (null: registered before ownership, visible to every client of the org). */
  ds_client_id: string | null;
}

export function removalView(r: RemovalViewRow): RemovalView {
  return {
    id: String(r.id),
    groupId: r.group_id.toString('base64url'),
    epoch: String(r.epoch),
    leafIndex: r.leaf_index,
    deviceId: r.device_id,
    reason: r.reason,
    status: r.status,
    proposal: r.proposal.toString('base64'),
    proposalRef: r.proposal_ref.toString('base64'),
    plannedAt: new Date(r.planned_at).toISOString(),
    signedAt: new Date(r.created_at).toISOString(),
  };
}
