/**
 * The service worker's side of Background Sync (DESIGN.md section 7): when the browser fires the
 * `sync` event for the tag the app registered (writes waiting, no connection), an open tab of
 * the app is asked to "Sync now" (its own sync runs there, leader tab and all); with no tab
 * open, the worker pushes the signed-in person's waiting writes itself, once (push-once.ts).
 * Everything it needs is passed in, so it runs under vitest as well as in the worker.
 */
import type { Enrolment } from '../auth/enrolment';
import type { AnyDb } from './lane';
import { pushOnce, type PushOnceResult } from './push-once';

/** The Background Sync tag the app registers while writes wait for the network. */
export const BACKGROUND_PUSH_TAG = 'outpost-push';

/** The message a tab receives from the worker: run "Sync now". */
export const SYNC_NOW_MESSAGE = { type: 'outpost-sync-now' } as const;

/** What the worker gives backgroundPush. */
export interface BackgroundPushDeps {
  /** The app's open windows (tabs); empty when none is open. */
  windows(): Promise<readonly { postMessage(message: unknown): void }[]>;
  /** The device's enrolment (null when signed out). */
  loadEnrolment(): Promise<Enrolment | null>;
  /** The person's local db. */
  openLocal(enrolment: Enrolment): AnyDb;
  /** The person's db on the server, with the device credential. */
  openRemote(enrolment: Enrolment): AnyDb;
}

/** What a background sync did: handed to an open tab, nothing to do, or pushed. */
export type BackgroundPushOutcome =
  { kind: 'tab' } | { kind: 'signed-out' } | ({ kind: 'pushed' } & PushOnceResult);

/** Handles one `sync` event; rejects when the push failed, so the browser tries again later. */
export async function backgroundPush(deps: BackgroundPushDeps): Promise<BackgroundPushOutcome> {
  const windows = await deps.windows();
  if (windows.length > 0) {
    for (const w of windows) w.postMessage(SYNC_NOW_MESSAGE);
    return { kind: 'tab' };
  }
  const enrolment = await deps.loadEnrolment();
  if (!enrolment) return { kind: 'signed-out' };
  const local = deps.openLocal(enrolment);
  try {
    return { kind: 'pushed', ...(await pushOnce(local, deps.openRemote(enrolment))) };
  } finally {
    await local.close().catch(() => undefined);
  }
}
