/**
 * One push of everything waiting, then stop: what the service worker runs when the browser
 * offers a Background Sync (DESIGN.md section 7) while no tab of the app is open. The same push
 * lanes as startSync, critical docs first, then photos; no pull, no live feed. It resolves once
 * the server has everything and rejects on the first failure, so the browser offers the sync
 * again later (its own back-off) and nothing leaves the queue unpushed.
 */
import { isPhotoId } from '../domain/photo';
import { createBackoff } from './backoff';
import { createLaneGate } from './gate';
import { DEFAULT_BATCHES_LIMIT, DEFAULT_BATCH_SIZE } from './sync';
import type { AnyDb } from './lane';
import { startPushLane, type PushLaneOptions } from './push-lane';

/** What one push did. */
export interface PushOnceResult {
  /** Docs the server took (critical and photos). */
  pushed: number;
  /** Docs the server refused (validate_doc_update). */
  refused: number;
}

/** Longest a one-shot push may take before it gives up (the browser allows a few minutes). */
export const PUSH_ONCE_TIMEOUT_MS = 120_000;

/** Runs one lane until it caught up (resolves) or failed (rejects); always cancels it. */
async function catchUpOnce(
  local: AnyDb,
  remote: AnyDb,
  lane: Pick<PushLaneOptions, 'carries' | 'name' | 'media' | 'ownDeviceId'>,
  result: PushOnceResult,
  deadline: number,
): Promise<void> {
  let settle: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  const running = startPushLane(local, remote, {
    ...lane,
    batchSize: DEFAULT_BATCH_SIZE,
    batchesLimit: DEFAULT_BATCHES_LIMIT,
    backoff: createBackoff(),
    on: {
      phase(phase, error) {
        if (phase === 'idle') settle();
        if (phase === 'retrying') settle(error ?? new Error('push failed'));
      },
      change(docs) {
        result.pushed += docs.length;
      },
      denied() {
        result.refused += 1;
      },
    },
  });
  const timer = setTimeout(
    () => settle(new Error('The background push took too long; it will be tried again.')),
    Math.max(0, deadline - Date.now()),
  );
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await running.cancel();
  }
}

/** Pushes everything waiting in `local` to `remote` once: critical docs, then photos. */
export async function pushOnce(
  local: AnyDb,
  remote: AnyDb,
  opts: { deviceId?: string; timeoutMs?: number } = {},
): Promise<PushOnceResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? PUSH_ONCE_TIMEOUT_MS);
  const result: PushOnceResult = { pushed: 0, refused: 0 };
  const critical = (id: string) => !isPhotoId(id);
  await catchUpOnce(
    local,
    remote,
    { carries: critical, ownDeviceId: opts.deviceId },
    result,
    deadline,
  );
  // The critical lane has caught up: the photos' gate is open from the start.
  const caughtUp = createLaneGate();
  caughtUp.open();
  const media = { waitFor: caughtUp, upload: () => undefined };
  await catchUpOnce(local, remote, { carries: isPhotoId, name: 'media', media }, result, deadline);
  return result;
}
