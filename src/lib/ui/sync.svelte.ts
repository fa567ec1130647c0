/**
 * The sync of a signed-in device as runes state (DESIGN.md section 7). Only the leader tab runs
 * startSync (electLeader: Web Locks + BroadcastChannel); the other tabs show the leader's
 * status and pass "Sync now" to it. The remote is the person's db behind `/couch` on this
 * origin, reached with the device credential; the session clock learns the server offset.
 */
import { referenceDbUrl, remoteDbUrl, type Enrolment } from '$lib/auth/enrolment';
import { onWorkerSyncNow, requestBackgroundPush, waitsForNetwork } from './background-sync';
import type { Hlc } from '$lib/clock/hlc';
import type { LocalDb } from '$lib/db/pouch';
import { createPullResolver, writerFor } from '$lib/conflicts/device';
import { needsReviewCount } from '$lib/conflicts/inbox';
import { startDeviceStatus } from '$lib/device/status-writer';
import type { DeviceStorage } from '$lib/domain/device';
import {
  attachSyncTriggers,
  electLeader,
  openRemoteDb,
  startSync,
  type ChannelLike,
  type FetchImpl,
  type Leadership,
  type LockManagerLike,
  type SyncController,
  type SyncStatus,
  type TriggerTargets,
} from '$lib/sync';

export interface DeviceSyncOptions {
  enrolment: Enrolment;
  /** The person's local db. */
  db: LocalDb;
  /** The local copy of the team's reference data (pulled only); none: not pulled. */
  reference?: LocalDb;
  /** The session's clock: receives the server offset learned from responses. */
  clock: Hlc;
  /** This device's id (docs it stamped count as pending until pushed). */
  deviceId: string;
  /** Where `/couch` is served: `location.origin` in the browser. */
  origin: string;
  /** Test seams; the defaults are the browser's. */
  locks?: LockManagerLike | null;
  channel?: ChannelLike | null;
  /** Followers ask the leader to "Sync now" here (default: a BroadcastChannel). */
  commands?: ChannelLike | null;
  /** Where the restart triggers listen (default window/document; null: none). */
  targets?: TriggerTargets | null;
  fetchImpl?: FetchImpl;
  isOnline?: () => boolean;
  /**
   * Asks for a Background Sync while writes wait offline, and hears the worker's "Sync now"
   * (default: the browser's service worker; null: neither).
   */
  background?: {
    request(): void;
    onSyncNow(handler: () => void): () => void;
  } | null;
  /**
   * What the device's status doc says about it (src/lib/device): written by the leader tab
   * while it syncs. Omitted: no status doc.
   */
  deviceStatus?: {
    label: string;
    appVersion: string;
    build?: string;
    readStorage(): Promise<DeviceStorage | null>;
  };
}

const browserBackground = {
  request: () => void requestBackgroundPush(),
  onSyncNow: (handler: () => void) => onWorkerSyncNow(handler),
};

/** What the badge shows before the leader said anything. */
export function startingStatus(online: boolean): SyncStatus {
  return {
    state: online ? 'connecting' : 'offline',
    online,
    pending: 0,
    pushing: false,
    pulling: false,
    lastSuccessAt: null,
    lastError: null,
    docsPushed: 0,
    docsPulled: 0,
    photos: [],
    photosPending: 0,
  };
}

/** The lock and channel name of a person's sync (one leader per person and origin). */
export function syncLockName(user: string): string {
  return `outpost-sync-${user}`;
}

type Command = { type: 'sync-now' };

function browserTargets(): TriggerTargets | null {
  return typeof window === 'undefined' ? null : { window, document };
}

function defaultCommands(name: string): ChannelLike | null {
  return typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${name}:commands`) : null;
}

/** The device's sync: status as runes state, "Sync now", stop. */
export class DeviceSync {
  /** The latest status (this tab's own when leading, else the leader's). */
  status = $state.raw<SyncStatus>(startingStatus(true));
  /** True while this tab runs the replication. */
  leader = $state(false);
  readonly enrolment: Enrolment;
  #opts: DeviceSyncOptions;
  #leadership: Leadership;
  #commands: ChannelLike | null;
  #controller: SyncController | null = null;
  #cleanups: (() => void)[] = [];
  #stopping: Promise<void> | null = null;

  constructor(opts: DeviceSyncOptions) {
    this.#opts = opts;
    this.enrolment = opts.enrolment;
    const online = (opts.isOnline ?? (() => navigator.onLine))();
    this.status = startingStatus(online);
    const name = syncLockName(opts.enrolment.person.name);
    this.#leadership = electLeader({ name, locks: opts.locks, channel: opts.channel });
    this.#cleanups.push(this.#leadership.onStatus((status) => (this.status = status)));
    this.#cleanups.push(
      this.#leadership.onLeaderChange((leader) => {
        this.leader = leader;
        if (leader) this.#lead();
      }),
    );
    this.#commands = opts.commands === undefined ? defaultCommands(name) : opts.commands;
    const onCommand = (event: { data: unknown }) => {
      if ((event.data as Command | null)?.type === 'sync-now') this.#controller?.syncNow();
    };
    this.#commands?.addEventListener('message', onCommand);
    this.#cleanups.push(() => this.#commands?.removeEventListener('message', onCommand));
    const background = opts.background === undefined ? browserBackground : opts.background;
    if (background) this.#cleanups.push(background.onSyncNow(() => this.syncNow()));
    // Without Web Locks this tab leads at once, before the listener above was added.
    if (this.#leadership.isLeader()) {
      this.leader = true;
      this.#lead();
    }
  }

  /** The server refused this device's credential: an admin signed the device out. */
  get revoked(): boolean {
    return this.status.state === 'unauthorized' && this.status.lastError?.code === 'unauthorized';
  }

  /** Restarts replication now (from any tab: a follower asks the leader). */
  syncNow(): void {
    if (this.#controller) this.#controller.syncNow();
    else this.#commands?.postMessage({ type: 'sync-now' } satisfies Command);
  }

  /** Stops replicating, then gives up leadership so another tab (or session) may lead. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const cleanup of this.#cleanups.splice(0)) cleanup();
      const controller = this.#controller;
      this.#controller = null;
      await controller?.stop();
      this.#leadership.resign();
      this.#commands?.close();
    })();
    return this.#stopping;
  }

  #lead(): void {
    if (this.#controller || this.#stopping) return;
    const { enrolment, db, clock, deviceId, origin } = this.#opts;
    const remote = openRemoteDb(remoteDbUrl(origin, enrolment), {
      ...enrolment.credentials,
      clock,
      fetchImpl: this.#opts.fetchImpl,
    });
    const reference = this.#opts.reference;
    const controller = startSync(db, remote, {
      deviceId,
      isOnline: this.#opts.isOnline,
      ...(reference
        ? {
            reference: {
              local: reference,
              remote: openRemoteDb(referenceDbUrl(origin, enrolment), {
                ...enrolment.credentials,
                fetchImpl: this.#opts.fetchImpl,
              }),
            },
          }
        : {}),
      // Devices resolve the conflicts they pull with the same rules as the server.
      onPulled: createPullResolver(
        db,
        (message) => console.warn(message),
        writerFor(enrolment.person),
      ),
    });
    this.#controller = controller;
    this.#cleanups.push(controller.subscribe((status) => this.#leadership.publishStatus(status)));
    const about = this.#opts.deviceStatus;
    if (about) {
      const writer = startDeviceStatus({
        ...about,
        db,
        user: enrolment.person.name,
        deviceUser: enrolment.credentials.username,
        clock,
        openConflicts: () => needsReviewCount(db, { owners: [enrolment.person.name] }),
        log: (message) => console.warn(message),
      });
      const unsubscribe = controller.subscribe((status) => writer.update(status));
      this.#cleanups.push(() => (unsubscribe(), writer.stop()));
    }
    const background =
      this.#opts.background === undefined ? browserBackground : this.#opts.background;
    let asked = false;
    this.#cleanups.push(
      controller.subscribe((status) => {
        // Once per spell offline: the browser keeps the registration until it has fired.
        const waiting = waitsForNetwork(status);
        if (waiting && !asked) background?.request();
        asked = waiting;
      }),
    );
    const targets = this.#opts.targets === undefined ? browserTargets() : this.#opts.targets;
    if (targets) this.#cleanups.push(attachSyncTriggers(controller, targets));
  }
}
