/**
 * The team board's model (pure): one day's stops, their check-in/out events, the accounts' names
 * and the team's device status docs, kept up to date doc by doc. `apply` takes one changed doc
 * and says which reps it touched, so the screen re-renders only those (a board of 50 reps
 * updates in well under a frame per change: bench/board.ts). Views are immutable snapshots:
 * an untouched rep keeps the same object.
 */
import { isHlc, parseHlc } from '../clock/hlc';
import type { DeviceDoc } from '../domain/device';
import { isFinalStatus } from '../domain/status';
import type { EventDoc, StopDoc, StopStatus } from '../domain/types';

/** One stop as the board shows it. */
export interface BoardStop {
  stop: StopDoc;
  /** Null when the account has not reached this device (yet). */
  accountName: string | null;
  /** Corrected times (ISO) of the check-in and check-out, when recorded. */
  checkIn: string | null;
  checkOut: string | null;
}

/** A device on the board: its status doc and its latest write seen here. */
export interface BoardDevice {
  doc: DeviceDoc;
  /**
   * Corrected time (ms) of the newest write this device stamped that reached the board (the
   * day's stops and events, then any doc changed while the board is open): it synced at least
   * that late, even when its status doc is older. Null when none.
   */
  activityAt: number | null;
}

/** One person's row on the board. */
export interface RepView {
  rep: string;
  total: number;
  completed: number;
  byStatus: Record<StopStatus, number>;
  /** In route order. */
  stops: BoardStop[];
  /** The stop checked in and not out (the latest one), or null. */
  current: BoardStop | null;
  /** The first open stop not checked in, in route order, or null. */
  next: BoardStop | null;
  /** The latest check-in of the day (ISO), or null. */
  lastCheckIn: string | null;
  /** Something happened today: a check-in, or a stop past planned. */
  started: boolean;
  /** Stops still to finish (not done, skipped or cancelled). */
  open: number;
  /** This person's devices, last seen first. */
  devices: BoardDevice[];
}

type Doc = Record<string, unknown> & { _id: string; _deleted?: boolean };

const STATUSES: StopStatus[] = ['planned', 'en_route', 'arrived', 'done', 'skipped', 'cancelled'];

/** The board of one day; feed it docs with `load` and `apply`. */
export interface BoardModel {
  readonly date: string;
  /** Takes many docs at once (the first read); returns the reps touched. */
  load(docs: Iterable<Doc>): Set<string>;
  /**
   * Takes one changed doc (deleted or not); returns the reps it touched (empty: none). Any doc
   * counts as a sign of life of the device that stamped it.
   */
  apply(doc: Doc): Set<string>;
  /** The rep's current view (the same object until the rep is touched again). */
  view(rep: string): RepView | null;
  /** Everyone on the board: people with stops on the day or with a device, sorted. */
  reps(): string[];
  /** Account ids of the day's stops whose name is not known yet. */
  missingAccounts(): string[];
}

/** Creates an empty board for `date` ("YYYY-MM-DD"). */
export function createBoard(date: string): BoardModel {
  const stops = new Map<string, StopDoc>();
  const events = new Map<string, { checkIn: EventDoc | null; checkOut: EventDoc | null }>();
  const devices = new Map<string, DeviceDoc>();
  const accounts = new Map<string, string>();
  /** Newest write (ms) stamped by each device id, from the stops and events seen. */
  const activity = new Map<string, number>();
  const views = new Map<string, RepView>();

  const repsOfAccount = (accountId: string) =>
    [...stops.values()].filter((s) => s.accountId === accountId).map((s) => s.assignee);

  /** Notes a write by a device; touches the owners of that device's status docs when newer. */
  function noteActivity(doc: Doc, touched: Set<string>) {
    const at =
      typeof doc.updatedAt === 'string' && isHlc(doc.updatedAt)
        ? parseHlc(doc.updatedAt).wall
        : NaN;
    const device = doc.deviceId;
    if (
      typeof device !== 'string' ||
      !Number.isFinite(at) ||
      at <= (activity.get(device) ?? -Infinity)
    ) {
      return;
    }
    activity.set(device, at);
    for (const d of devices.values()) if (d.deviceId === device) touched.add(d.owner);
  }

  function applyOne(doc: Doc, touched: Set<string>) {
    const id = doc._id;
    if (!doc._deleted && !id.startsWith('device:')) noteActivity(doc, touched);
    if (id.startsWith('stop:')) {
      const before = stops.get(id);
      if (before) touched.add(before.assignee);
      const stop = doc as unknown as StopDoc;
      if (!doc._deleted && stop.date === date && typeof stop.assignee === 'string') {
        stops.set(id, stop);
        touched.add(stop.assignee);
      } else stops.delete(id);
    } else if (id.startsWith('event:')) {
      const event = doc as unknown as EventDoc;
      if (doc._deleted || typeof event.stopId !== 'string') return;
      const slot = events.get(event.stopId) ?? { checkIn: null, checkOut: null };
      const key =
        event.kind === 'check_in' ? 'checkIn' : event.kind === 'check_out' ? 'checkOut' : null;
      if (!key) return;
      // The first recorded one counts (the repo makes one of each per stop).
      if (!slot[key] || event.occurredAt < slot[key]!.occurredAt) slot[key] = event;
      events.set(event.stopId, slot);
      const stop = stops.get(event.stopId);
      if (stop) touched.add(stop.assignee);
    } else if (id.startsWith('device:')) {
      const before = devices.get(id);
      if (before) touched.add(before.owner);
      const device = doc as unknown as DeviceDoc;
      if (!doc._deleted && typeof device.owner === 'string' && typeof device.seenAt === 'string') {
        devices.set(id, device);
        touched.add(device.owner);
      } else devices.delete(id);
    } else if (id.startsWith('account:')) {
      const name = !doc._deleted && typeof doc.name === 'string' ? doc.name : null;
      if ((accounts.get(id) ?? null) === name) return;
      if (name === null) accounts.delete(id);
      else accounts.set(id, name);
      for (const rep of repsOfAccount(id)) touched.add(rep);
    }
  }

  function build(rep: string): RepView | null {
    const own: BoardStop[] = [...stops.values()]
      .filter((s) => s.assignee === rep)
      .sort((a, b) => a.seq - b.seq || (a._id < b._id ? -1 : 1))
      .map((stop) => {
        const e = events.get(stop._id);
        return {
          stop,
          accountName: accounts.get(stop.accountId) ?? null,
          checkIn: e?.checkIn?.occurredAt ?? null,
          checkOut: e?.checkOut?.occurredAt ?? null,
        };
      });
    const mine = [...devices.values()]
      .filter((d) => d.owner === rep)
      .sort((a, b) => (a.seenAt < b.seenAt ? 1 : a.seenAt > b.seenAt ? -1 : 0))
      .map((doc) => ({ doc, activityAt: activity.get(doc.deviceId) ?? null }));
    if (own.length === 0 && mine.length === 0) return null;
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<StopStatus, number>;
    for (const s of own) byStatus[s.stop.status] += 1;
    const inside = own.filter((s) => s.checkIn && !s.checkOut);
    const checkIns = own.map((s) => s.checkIn).filter((t): t is string => !!t);
    return {
      rep,
      total: own.length - byStatus.cancelled,
      completed: byStatus.done + byStatus.skipped,
      byStatus,
      stops: own,
      current:
        inside.sort((a, b) => (a.checkIn! < b.checkIn! ? 1 : -1))[0] ??
        own.find((s) => s.stop.status === 'arrived') ??
        null,
      next:
        own.find(
          (s) => !isFinalStatus(s.stop.status) && !s.checkIn && s.stop.status !== 'arrived',
        ) ?? null,
      lastCheckIn: checkIns.sort().at(-1) ?? null,
      started: checkIns.length > 0 || own.some((s) => s.stop.status !== 'planned'),
      open: own.filter((s) => !isFinalStatus(s.stop.status)).length,
      devices: mine,
    };
  }

  function refresh(touched: Set<string>): Set<string> {
    for (const rep of touched) {
      const view = build(rep);
      if (view) views.set(rep, view);
      else views.delete(rep);
    }
    return touched;
  }

  return {
    date,
    load(docs) {
      const touched = new Set<string>();
      for (const doc of docs) applyOne(doc, touched);
      return refresh(touched);
    },
    apply(doc) {
      const touched = new Set<string>();
      applyOne(doc, touched);
      return refresh(touched);
    },
    view: (rep) => views.get(rep) ?? null,
    reps: () => [...views.keys()].sort(),
    missingAccounts() {
      const ids = new Set<string>();
      for (const s of stops.values()) if (!accounts.has(s.accountId)) ids.add(s.accountId);
      return [...ids];
    },
  };
}
