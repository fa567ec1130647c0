/** Client-made ids `<type>:<uuid v7>` (DESIGN.md section 4): legible in Fauxton, never colliding offline. */
import { isDocType, type DocType } from './types';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Ids made in the same millisecond carry a 12-bit counter (RFC 9562 method 1, random start)
// in place of rand_a, so they sort in creation order; when it runs out, the next ms is borrowed.
let runStart = -1; // the requested ms that started the current run
let runMs = -1; // the ms written into the last id (ahead of runStart after borrowing)
let runSeq = 0;

/** A UUID version 7: 48 bits of Unix ms then random bits, so ids sort by creation time. */
export function uuidv7(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let ms = Math.max(0, Math.floor(now));
  if (ms >= runStart && ms <= runMs) {
    runSeq += 1;
    if (runSeq > 0xfff) {
      runMs += 1;
      runSeq = 0;
    }
  } else {
    runStart = runMs = ms;
    runSeq = ((bytes[6] << 8) | bytes[7]) & 0x7ff;
  }
  ms = runMs;
  bytes[6] = runSeq >> 8;
  bytes[7] = runSeq & 0xff;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const h = Array.from(bytes, (b) => HEX[b]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new document id for the type. */
export function newId(type: DocType, now?: number): string {
  return `${type}:${uuidv7(now)}`;
}

/** Builds an id from a type and a given key (used by fixtures with deterministic keys). */
export function makeId(type: DocType, key: string): string {
  if (!key || /\s/.test(key)) throw new Error(`Invalid id key: ${JSON.stringify(key)}`);
  return `${type}:${key}`;
}

/** The type named by an id's prefix, or null when the id is not an Outpost id. */
export function typeOfId(id: string): DocType | null {
  const colon = id.indexOf(':');
  if (colon < 0) return null;
  const prefix = id.slice(0, colon);
  return isDocType(prefix) ? prefix : null;
}
