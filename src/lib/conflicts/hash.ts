/**
 * The one hash of the resolver: MD5 as 32 lowercase hex digits (the shape of CouchDB's own
 * revision hashes). Pure JS (spark-md5, the library PouchDB itself uses), so it gives the same
 * answer in node, the browser and a service worker; strings are hashed as UTF-8.
 * Not a security boundary: it only has to be deterministic and spread well.
 */
import SparkMD5 from 'spark-md5';

/** MD5 of the UTF-8 bytes of `text`, as 32 lowercase hex digits. */
export function md5Hex(text: string): string {
  return SparkMD5.hash(text);
}
