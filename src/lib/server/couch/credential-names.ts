/**
 * The user names a request's credentials claim, read the way CouchDB reads them: the name of a
 * Basic `Authorization` header (up to the first `:` of the decoded `name:password`) and of each
 * `AuthSession` cookie (base64url of `name:hextime:hmac`; the name is up to the first `:`,
 * as CouchDB splits it). Nothing is verified here: CouchDB does that; the front only needs the
 * name to refuse a revoked one.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Every user name the request's Basic credential and AuthSession cookies name. */
export function credentialNames(headers: IncomingHttpHeaders): string[] {
  const names: string[] = [];
  const basic = /^\s*basic\s+(\S+)/i.exec(headers.authorization ?? '');
  if (basic) names.push(beforeColon(Buffer.from(basic[1], 'base64').toString('utf8')));
  for (const value of authSessionCookies(headers.cookie ?? '')) {
    names.push(beforeColon(Buffer.from(value, 'base64url').toString('utf8')));
  }
  return names;
}

/** The values of every `AuthSession` cookie in a Cookie header (quotes removed). */
function authSessionCookies(header: string): string[] {
  const values: string[] = [];
  for (const part of header.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== 'AuthSession') continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (value) values.push(value);
  }
  return values;
}

function beforeColon(decoded: string): string {
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}
