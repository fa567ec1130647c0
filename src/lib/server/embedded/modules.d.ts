declare module 'express-pouchdb' {
  import type { Express } from 'express';
  interface ExpressPouchOptions {
    mode?: 'fullCouchDB' | 'minimumForPouchDB' | 'custom';
    overrideMode?: { include?: string[]; exclude?: string[] };
    configPath?: string;
    logPath?: string;
    inMemoryConfig?: boolean;
  }
  interface ExpressPouchApp extends Express {
    couchConfig: {
      get(section: string, key: string): unknown;
      set(section: string, key: string, value: string, cb: (err?: Error) => void): void;
    };
  }
  function expressPouchdb(PouchDB: unknown, opts?: ExpressPouchOptions): ExpressPouchApp;
  export default expressPouchdb;
}
