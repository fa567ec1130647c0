/**
 * The reference lane: the team's products and templates, pulled from the team's reference db
 * into a local db of their own (DESIGN.md section 1). Pull-only and one-shot, run whenever the
 * sync lanes (re)start (sign-in, back online, back visible, "Sync now", and the idle watchdog
 * every couple of minutes), so it holds no live connection: a tab keeps its two live lanes plus
 * the media lane. Its checkpoint stays on the device, tied to the server db's identity.
 */
import { replicationSource, type AnyDb } from './lane';
import { checkPullOrigin } from './pull-origin';

export interface ReferencePuller {
  /** Starts a pull unless one is running (then one more follows it). */
  pull(): void;
  /** When the last pull finished (ms), and its error if it failed. */
  readonly last: { at: number; error: unknown } | null;
  /** Waits for the running pull and stops. */
  stop(): Promise<void>;
}

/** Creates the puller for a local copy and the remote reference db. */
export function createReferencePuller(
  local: AnyDb,
  remote: AnyDb,
  opts: {
    remoteKey: string;
    batchSize: number;
    now?: () => number;
    /** 'active' when a pull starts, 'idle' when it ended (done or failed: retried next time). */
    onPhase?(phase: 'active' | 'idle'): void;
  },
): ReferencePuller {
  const now = opts.now ?? Date.now;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let rep: PouchDB.Replication.Replication<Record<string, unknown>> | null = null;
  let last: ReferencePuller['last'] = null;

  async function once(): Promise<void> {
    const origin = await checkPullOrigin(local, remote, opts.remoteKey);
    if (stopped) return;
    const r = local.replicate.from(replicationSource(remote, opts.remoteKey), {
      batch_size: opts.batchSize,
      checkpoint: 'target',
      ...(origin.startOver ? { since: 0 } : {}),
    } as PouchDB.Replication.ReplicateOptions);
    rep = r;
    const info = await r;
    rep = null;
    if (info.status === 'complete') await origin.remember();
  }

  function pull() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    opts.onPhase?.('active');
    running = once()
      .then(
        () => void (last = { at: now(), error: null }),
        (error: unknown) => void (last = { at: now(), error }),
      )
      .finally(() => {
        running = null;
        opts.onPhase?.('idle');
        if (again && !stopped) {
          again = false;
          pull();
        }
      });
  }

  return {
    pull,
    get last() {
      return last;
    },
    async stop() {
      stopped = true;
      rep?.cancel();
      await running;
    },
  };
}
