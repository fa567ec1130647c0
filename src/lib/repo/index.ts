/** The repo: typed commands and queries over a db passed in (DESIGN.md section 1). */
import type { LocalDb } from '../db/pouch';
import { createCommands } from './commands';
import { createInspectionCommands } from './inspections';
import { createQueries } from './queries';
import { createOrderRepo } from './orders';
import { createPhotoCommands } from './photos';
import { createStore, type RepoContext } from './store';
import { createSupervisorCommands } from './supervisor';

export type { RepoContext } from './store';
export type { AccountDetail, DayRoute, RouteStop, StopDetail } from './queries';
export type { AccountPatch, EventOptions, EventResult } from './commands';
export type { RepDay } from './supervisor';
export type { OrderDetail } from './orders';
export type { AnswerChanges, PngData } from './inspections';
export type { PhotoInput, PhotoView } from './photos';

/** Creates the repo for one user on one local database. */
export function createRepo(db: LocalDb, ctx: RepoContext) {
  const store = createStore(db, ctx);
  return {
    db,
    ctx,
    ...createQueries(store),
    ...createCommands(store),
    ...createSupervisorCommands(store),
    ...createInspectionCommands(store),
    ...createPhotoCommands(store),
    ...createOrderRepo(store),
  };
}

export type Repo = ReturnType<typeof createRepo>;
