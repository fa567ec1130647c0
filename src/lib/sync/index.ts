/** The sync client (DESIGN.md section 7): plain TypeScript, no Svelte, runs in node and the browser. */
export * from './backoff';
export * from './classify';
export * from './leader';
export * from './messages';
export * from './remote';
export * from './status';
export * from './sync';
export * from './triggers';
export type { AnyDb, LaneTuning } from './lane';
export { PENDING_CHECKPOINT_ID } from './pending';
export * from './background-push';
export { pushOnce, type PushOnceResult } from './push-once';
