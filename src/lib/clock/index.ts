export * from './hlc';
export * from './offset';
