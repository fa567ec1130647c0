export * from './pouch';
export * from './indexes';
