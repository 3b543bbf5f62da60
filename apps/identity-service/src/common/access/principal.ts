/** Who is calling, resolved by one of the passport strategies. Every principal but the
 *  bootstrap admin belongs to exactly one org, and every query it makes is scoped to it. */
export type Principal =
  | { kind: 'admin'; actor: string; orgId: null }
  | { kind: 'scim'; actor: string; orgId: string; orgSlug: string; tokenId: string }
  | { kind: 'ds'; actor: string; orgId: string; orgSlug: string; clientId: string }
  | { kind: 'auditor'; actor: string; orgId: string; orgSlug: string; tokenId: string }
  | {
      kind: 'device';
      actor: string;
      orgId: string;
      orgSlug: string;
      deviceId: string;
      accountId: string;
      /** The certificate whose key signed the request. */
      certificateId: string;
    };

export type PrincipalKind = Principal['kind'];
