/**
 * Outbox topic: these devices lost their credentials; every MLS group they are in must
 * get a signed external Remove. Written in the revoking transaction; consumed by the
 * removals module's planner.
 */
export const REMOVAL_PLAN_TOPIC = 'removal.plan';

export interface RemovalPlanPayload {
  deviceIds: string[];
  reason: string;
  [key: string]: unknown;
}
