/**
 * What went wrong with a replication request, from PouchDB's error and the last HTTP status the
 * remote saw (remote.ts): PouchDB loses the status when a body is not JSON (a proxy's HTML 401)
 * and browsers word network failures differently ("Failed to fetch", "Load failed", ...).
 */
import { toOutpostError, type ErrorCode } from '../errors';

/** An error code with the HTTP status when there was one. */
export interface SyncProblem {
  code: ErrorCode;
  status?: number;
}

/** Classifies a replication error; `lastStatus` is 0 after a failed fetch, null when unknown. */
export function classifySyncError(err: unknown, lastStatus: number | null = null): SyncProblem {
  const e = toOutpostError(err);
  const own = (err as { status?: unknown } | null)?.status;
  const httpStatus = typeof own === 'number' ? own : undefined;
  if (httpStatus === undefined && lastStatus === 0) return { code: 'network' };
  const status = httpStatus ?? (lastStatus !== null && lastStatus >= 400 ? lastStatus : undefined);
  if (status === 401) return { code: 'unauthorized', status };
  if (status === 403) return { code: 'forbidden', status };
  if (status === undefined && e.code === 'network') return { code: 'network' };
  return status === undefined
    ? { code: e.code }
    : { code: toOutpostError({ status }).code, status };
}

/** True for the answers that mean "this credential may not sync": 401 and 403. */
export const isRefusal = (problem: SyncProblem) => problem.status === 401 || problem.status === 403;
