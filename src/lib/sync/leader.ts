/**
 * One tab per origin replicates (DESIGN.md section 7). The leader holds a Web Lock for as long as
 * it lives (the browser hands the lock to the next waiting tab when it closes); without the Web
 * Locks API every tab leads. The leader broadcasts its sync status so followers can show it.
 */
import type { SyncStatus } from './status';

/** The part of the Web Locks API used here (navigator.locks). */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive' | 'shared'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/** The part of BroadcastChannel used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export interface LeaderOptions {
  /** Lock and channel name, e.g. `outpost-sync-<user>`. */
  name: string;
  /** Defaults to navigator.locks; `null` means none (this tab leads). */
  locks?: LockManagerLike | null;
  /** Defaults to a BroadcastChannel named after `name`; `null` means none. */
  channel?: ChannelLike | null;
}

/** This tab's part in the election. */
export interface Leadership {
  /** True while this tab holds the lock and should run startSync. */
  isLeader(): boolean;
  /** Resolves when this tab becomes the leader. */
  readonly whenLeader: Promise<void>;
  /** Hears leadership changes; returns unsubscribe. */
  onLeaderChange(listener: (leader: boolean) => void): () => void;
  /** Leader: sends its sync status to the other tabs (and to this tab's onStatus listeners). */
  publishStatus(status: SyncStatus): void;
  /** Hears the leader's status (the latest one at once, if known); returns unsubscribe. */
  onStatus(listener: (status: SyncStatus) => void): () => void;
  /** Gives up leadership (or the place in the queue) and closes the channel. */
  resign(): void;
}

/** `from` and `seq` let a follower drop a status it already has (a reply to its hello). */
type Message =
  { type: 'status'; status: SyncStatus; from: string; seq: number } | { type: 'hello' };

function defaultLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}

function defaultChannel(name: string): ChannelLike | null {
  return typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${name}:status`) : null;
}

/** Joins the election for `name`; see Leadership. */
export function electLeader(opts: LeaderOptions): Leadership {
  const locks = opts.locks === undefined ? defaultLocks() : opts.locks;
  const channel = opts.channel === undefined ? defaultChannel(opts.name) : opts.channel;
  const leaderListeners = new Set<(leader: boolean) => void>();
  const statusListeners = new Set<(status: SyncStatus) => void>();
  const abort = new AbortController();
  let leader = false;
  let resigned = false;
  let latest: SyncStatus | null = null;
  const self = Math.random().toString(36).slice(2);
  let sent = 0;
  const heard = { from: '', seq: 0 };
  let release: () => void = () => undefined;
  let becameLeader: () => void = () => undefined;
  const whenLeader = new Promise<void>((resolve) => (becameLeader = resolve));

  function setLeader(value: boolean) {
    if (leader === value) return;
    leader = value;
    if (value) becameLeader();
    for (const listener of [...leaderListeners]) listener(value);
  }

  function deliver(status: SyncStatus) {
    latest = status;
    for (const listener of [...statusListeners]) listener(status);
  }

  const onMessage = (event: { data: unknown }) => {
    const msg = event.data as Message | null;
    if (msg?.type === 'status' && !leader) {
      if (msg.from === heard.from && msg.seq <= heard.seq) return;
      Object.assign(heard, { from: msg.from, seq: msg.seq });
      deliver(msg.status);
    } else if (msg?.type === 'hello' && leader && latest) {
      channel?.postMessage({
        type: 'status',
        status: latest,
        from: self,
        seq: sent,
      } satisfies Message);
    }
  };
  channel?.addEventListener('message', onMessage);

  if (locks) {
    locks
      .request(opts.name, { mode: 'exclusive', signal: abort.signal }, () => {
        if (resigned) return Promise.resolve();
        setLeader(true);
        return new Promise<void>((resolve) => (release = resolve)); // held while leading
      })
      .catch(() => undefined) // AbortError after resign() while still queued
      .finally(() => setLeader(false));
  } else {
    setLeader(true);
  }
  channel?.postMessage({ type: 'hello' } satisfies Message);

  return {
    isLeader: () => leader,
    whenLeader,
    onLeaderChange(listener) {
      leaderListeners.add(listener);
      return () => leaderListeners.delete(listener);
    },
    publishStatus(status) {
      if (!leader) return;
      deliver(status);
      sent += 1;
      channel?.postMessage({ type: 'status', status, from: self, seq: sent } satisfies Message);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      if (latest) listener(latest);
      return () => statusListeners.delete(listener);
    },
    resign() {
      if (resigned) return;
      resigned = true;
      abort.abort();
      release();
      setLeader(false);
      channel?.removeEventListener('message', onMessage);
      channel?.close();
    },
  };
}
