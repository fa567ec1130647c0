/**
 * Reads one day from the local database for the report: the assignee's route, and for each stop
 * its events, tasks, notes, inspections, orders and photos (with their JPEG thumbnails). Local
 * only: works with no network.
 */
import { INDEX, ensureIndexes } from '../db/indexes';
import type { InspectionDoc } from '../domain/inspection';
import type { OrderDoc } from '../domain/order';
import { PHOTO_ATTACHMENTS, bytesOf, type PhotoDoc } from '../domain/photo';
import { migrate } from '../domain/schema';
import { isDocType } from '../domain/types';
import { toOutpostError } from '../errors';
import type { Repo } from '../repo';
import type { DayInput, StopInput } from './model';
import { timeZoneLabel } from './time';

type Row = Record<string, unknown>;

const REPORTED_TYPES = ['inspection', 'order', 'photo'];

function typed<T>(row: Row): T {
  return (isDocType(row.type) ? migrate(row.type, row) : row) as T;
}

async function findByStop(repo: Repo, stopId: string): Promise<Row[]> {
  await ensureIndexes(repo.db);
  try {
    const res = await repo.db.find({
      selector: { stopId, type: { $in: REPORTED_TYPES } },
      use_index: INDEX.byStop,
      limit: 10_000,
    });
    return res.docs.map((d) => typed<Row>(d as Row));
  } catch (err) {
    throw toOutpostError(err);
  }
}

/** Photo ids an inspection's photo answers name (photos taken inside an inspection). */
function answerPhotoIds(inspection: InspectionDoc): string[] {
  return Object.values(inspection.answers ?? {}).flatMap((v) =>
    Array.isArray(v) ? v.filter((id) => typeof id === 'string' && id.startsWith('photo:')) : [],
  );
}

async function photosByIds(repo: Repo, ids: string[]): Promise<PhotoDoc[]> {
  if (ids.length === 0) return [];
  const res = await repo.db.allDocs({ keys: ids, include_docs: true });
  const photos: PhotoDoc[] = [];
  for (const row of res.rows) {
    const doc = 'doc' in row ? (row.doc as Row | null | undefined) : null;
    if (doc?.type === 'photo') photos.push(typed<PhotoDoc>(doc));
  }
  return photos;
}

/** The thumbnail bytes of a photo, or null when this device does not have them. */
async function thumbnailOf(repo: Repo, photo: PhotoDoc): Promise<Uint8Array | null> {
  const stubs = photo._attachments as Record<string, unknown> | undefined;
  if (!stubs?.[PHOTO_ATTACHMENTS.thumb]) return null;
  try {
    const data = await repo.db.getAttachment(photo._id, PHOTO_ATTACHMENTS.thumb);
    return await bytesOf(data as Blob | Uint8Array);
  } catch {
    return null;
  }
}

async function stopInput(repo: Repo, stopId: string, thumbnails: boolean): Promise<StopInput> {
  const [detail, related] = await Promise.all([repo.stopDetail(stopId), findByStop(repo, stopId)]);
  const inspections = related.filter((d) => d.type === 'inspection') as InspectionDoc[];
  const orders = related.filter((d) => d.type === 'order') as OrderDoc[];
  const photos = related.filter((d) => d.type === 'photo') as unknown as PhotoDoc[];
  const known = new Set(photos.map((p) => p._id));
  const fromAnswers = [...new Set(inspections.flatMap(answerPhotoIds))].filter(
    (id) => !known.has(id),
  );
  photos.push(...(await photosByIds(repo, fromAnswers)));
  const thumbs = new Map<string, Uint8Array>();
  if (thumbnails) {
    for (const photo of photos) {
      const bytes = await thumbnailOf(repo, photo);
      if (bytes) thumbs.set(photo._id, bytes);
    }
  }
  return {
    stop: detail.stop,
    account: detail.account,
    events: detail.events,
    tasks: detail.tasks,
    notes: detail.notes,
    inspections,
    orders,
    photos,
    thumbs,
  };
}

/** Options for collectDay. */
export interface CollectOptions {
  /** Whose route (default: the repo's user). */
  assignee?: string;
  displayName?: string;
  /** Read the photos' thumbnails (the PDF and the screen need them; CSV does not). */
  thumbnails?: boolean;
  now?: Date;
}

/** Reads everything the report shows for `date` from the local database. */
export async function collectDay(
  repo: Repo,
  date: string,
  opts: CollectOptions = {},
): Promise<DayInput> {
  const now = opts.now ?? new Date();
  const assignee = opts.assignee ?? repo.ctx.user;
  const route = await repo.dayRoute(date, assignee);
  const stops: StopInput[] = [];
  for (const { stop } of route.stops) {
    stops.push(await stopInput(repo, stop._id, opts.thumbnails ?? true));
  }
  return {
    date,
    user: assignee,
    displayName: opts.displayName ?? assignee,
    generatedAt: now.toISOString(),
    timeZone: timeZoneLabel(now),
    stops,
  };
}
