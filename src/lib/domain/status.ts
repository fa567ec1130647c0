/** Stop status rules: forward only; skipped/cancelled belong to supervisors. */
import { STOP_STATUSES, type StopStatus } from './types';

/** Position of each status on the forward path. */
const RANK: Record<StopStatus, number> = {
  planned: 0,
  en_route: 1,
  arrived: 2,
  done: 3,
  skipped: 3,
  cancelled: 3,
};

/** Statuses only a supervisor may set. */
export const SUPERVISOR_STATUSES: readonly StopStatus[] = ['skipped', 'cancelled'];

/** True when a stop can go no further. */
export function isFinalStatus(status: StopStatus): boolean {
  return RANK[status] === 3;
}

/** Compares two statuses by their place on the forward path. */
export function statusRank(status: StopStatus): number {
  return RANK[status];
}

/**
 * The status after proposing `to` from `from`: the later of the two, so a replayed or
 * out-of-order action never moves a stop backwards. Final statuses never change.
 */
export function forwardStatus(from: StopStatus, to: StopStatus): StopStatus {
  if (isFinalStatus(from)) return from;
  return RANK[to] > RANK[from] ? to : from;
}

/** Why a role may not set this status, or null when it may. */
export function statusChangeError(
  from: StopStatus,
  to: StopStatus,
  role: 'rep' | 'supervisor',
): string | null {
  // Form input and messages from other tabs are untyped at run time: an unknown status is an
  // error, not a silent no-op.
  if (!(STOP_STATUSES as readonly unknown[]).includes(to)) {
    return `Unknown stop status: ${String(to)}. Use one of: ${STOP_STATUSES.join(', ')}.`;
  }
  if (SUPERVISOR_STATUSES.includes(to) && role !== 'supervisor') {
    return `Only a supervisor can mark a stop ${to}.`;
  }
  if (isFinalStatus(from) && from !== to) return `This stop is already ${from}.`;
  if (RANK[to] < RANK[from])
    return `A stop cannot go back from ${from.replace('_', ' ')} to ${to.replace('_', ' ')}.`;
  return null;
}
