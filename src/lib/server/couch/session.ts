/**
 * Whom CouchDB takes a credential for: `GET /_session` with the caller's `Authorization`, the
 * one place the server asks (the `/metrics` admin check, counting failed Basic sign-ins).
 */

/** CouchDB's answer: `null` name for a credential it does not know; `null` when it did not answer. */
export type SessionAnswer = { name: string | null; roles: string[] } | null;

/** Asks CouchDB at `target` (no credentials in it) whom `authorization` belongs to. */
export async function sessionOf(
  target: string,
  authorization: string,
  fetchImpl: typeof fetch = fetch,
): Promise<SessionAnswer> {
  try {
    const res = await fetchImpl(`${target}/_session`, {
      headers: { authorization, accept: 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json().catch(() => ({}))) as {
      userCtx?: { name?: string | null; roles?: string[] };
    };
    if (res.status === 401) return { name: null, roles: [] };
    if (!res.ok) return null;
    return { name: body.userCtx?.name ?? null, roles: body.userCtx?.roles ?? [] };
  } catch {
    return null;
  }
}
