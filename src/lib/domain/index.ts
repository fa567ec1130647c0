export * from './types';
export * from './ids';
export * from './validate';
export * from './schema';
export * from './stamp';
export * from './status';
export * from './ownership';
