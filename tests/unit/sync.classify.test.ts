import { describe, expect, it } from 'vitest';
import { classifySyncError, isRefusal } from '$lib/sync/classify';

/** The shape PouchDB gives HTTP errors (pouchdb-errors, after the replicator's createError). */
const pouchHttpError = (status: number, name: string) => ({
  status,
  name,
  error: true,
  reason: `${name} reason`,
  message: `${name} reason`,
});

describe('classifySyncError', () => {
  it('401 and 403 from CouchDB are refusals', () => {
    expect(classifySyncError(pouchHttpError(401, 'unauthorized'), 401)).toEqual({
      code: 'unauthorized',
      status: 401,
    });
    expect(classifySyncError(pouchHttpError(403, 'forbidden'))).toEqual({
      code: 'forbidden',
      status: 403,
    });
    expect(isRefusal({ code: 'unauthorized', status: 401 })).toBe(true);
    expect(isRefusal({ code: 'forbidden', status: 403 })).toBe(true);
    expect(isRefusal({ code: 'internal', status: 500 })).toBe(false);
    expect(isRefusal({ code: 'network' })).toBe(false);
  });

  it('a 401 whose body was not JSON (PouchDB saw a SyntaxError) is still a refusal', () => {
    const err = new SyntaxError('Unexpected token < in JSON at position 0');
    expect(classifySyncError(err, 401)).toEqual({ code: 'unauthorized', status: 401 });
  });

  it('a failed fetch is a network problem, however the browser words it', () => {
    for (const message of ['fetch failed', 'Failed to fetch', 'Load failed', 'NetworkError']) {
      expect(classifySyncError(new TypeError(message), 0)).toEqual({ code: 'network' });
    }
    expect(classifySyncError(new TypeError('fetch failed'))).toEqual({ code: 'network' });
  });

  it('server errors keep their status', () => {
    expect(classifySyncError(pouchHttpError(500, 'internal_server_error'), 500)).toEqual({
      code: 'internal',
      status: 500,
    });
    expect(classifySyncError(new SyntaxError('bad json'), 502)).toEqual({
      code: 'internal',
      status: 502,
    });
    expect(classifySyncError(pouchHttpError(404, 'not_found'), 404)).toEqual({
      code: 'not_found',
      status: 404,
    });
  });

  it("the error's own status wins over the last status seen", () => {
    expect(classifySyncError(pouchHttpError(503, 'unavailable'), 401)).toEqual({
      code: 'internal',
      status: 503,
    });
  });
});
