/**
 * The built-in `_changes` filters `_selector` and `_view` checked as CouchDB 3 checks them
 * (couch_changes configure_filter; ../shared/couchdb-reference/fanout.json), for compat.ts:
 * express-pouchdb crashed on `filter=_selector` (it never read the selector from the body) and
 * answered a `_view` filter without `view=` with 404. A valid selector goes on to
 * express-pouchdb, which runs it (patches.ts hands it the selector from the body).
 */

/** A refusal in CouchDB's words, or null when the request may go on. */
export type FilterProblem = { status: number; body: { error: string; reason: string } } | null;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const badRequest = (reason: string): FilterProblem => ({
  status: 400,
  body: { error: 'bad_request', reason },
});

/** CouchDB's answer to `filter=_selector` without a selector object (recorded). */
export const SELECTOR_NOT_AN_OBJECT = 'Selector error: expected a JSON object';

/**
 * Checks a `_changes?filter=_selector` request before its body is read: CouchDB takes the
 * selector from a JSON POST body only.
 */
export function selectorRequestProblem(req: {
  method: string;
  hasBody: boolean;
  mediaType: string;
}): FilterProblem {
  if (req.method !== 'POST') return badRequest('Selector must be specified in POST payload');
  if (!req.hasBody) return badRequest(SELECTOR_NOT_AN_OBJECT);
  if (req.mediaType !== 'application/json') {
    return {
      status: 415,
      body: { error: 'bad_content_type', reason: 'Content-Type must be application/json' },
    };
  }
  return null;
}

/**
 * Checks the parsed body of a `_changes?filter=_selector` POST: `selector` and `fields`. The
 * selector's operators and their arguments are checked as CouchDB's mango normalizer does: PouchDB
 * throws inside the running feed on an unknown operator or a bad argument (an unhandled
 * rejection in the server's process).
 */
export function selectorBodyProblem(body: unknown): FilterProblem {
  if (!isObj(body) || !isObj(body.selector)) return badRequest(SELECTOR_NOT_AN_OBJECT);
  if (body.fields !== undefined && !Array.isArray(body.fields)) {
    return badRequest('Selector error: fields must be JSON array');
  }
  const problem = selectorError(body.selector);
  return problem ? badRequest(problem) : null;
}

/** Operators that combine selectors. */
const COMBINATIONS = new Set(['$and', '$or', '$nor', '$not']);
/** Operators that test a field's value, as PouchDB's matcher runs them. */
const CONDITIONS = new Set([
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$exists',
  '$type',
  '$in',
  '$nin',
  '$all',
  '$size',
  '$mod',
  '$regex',
  '$elemMatch',
  '$allMatch',
]);
/** CouchDB 3 operators PouchDB's matcher lacks. */
const NOT_IN_POUCHDB = new Set(['$keyMapMatch', '$beginsWith']);

/**
 * The first problem in a selector (`field` false) or in the condition object of a field
 * (`field` true), in CouchDB's words where CouchDB refuses it too.
 */
function selectorError(selector: Obj, field = false): string | null {
  for (const [key, value] of Object.entries(selector)) {
    const problem = key.startsWith('$')
      ? operatorError(key, value, field)
      : isObj(value)
        ? selectorError(value, true)
        : null;
    if (problem) return problem;
  }
  return null;
}

function operatorError(op: string, arg: unknown, field: boolean): string | null {
  if (NOT_IN_POUCHDB.has(op)) return `Operator ${op} is not supported by the embedded server.`;
  if (!COMBINATIONS.has(op) && !CONDITIONS.has(op)) return `Invalid operator: ${op}`;
  if (field && COMBINATIONS.has(op)) {
    return `Operator ${op} inside a field is not supported by the embedded server; put the field inside it.`;
  }
  if (!field && CONDITIONS.has(op)) return `Operator ${op} must be applied to a field.`;
  const bad = `Bad argument for operator ${op}: ${JSON.stringify(arg)}`;
  switch (op) {
    case '$and':
    case '$or':
    case '$nor':
      if (!Array.isArray(arg) || !arg.every(isObj)) return bad;
      for (const sub of arg) {
        const problem = selectorError(sub);
        if (problem) return problem;
      }
      return null;
    case '$not':
      return isObj(arg) ? selectorError(arg) : bad;
    case '$elemMatch':
    case '$allMatch':
      // Conditions on each element ({"$gt": 1}) or a selector on each element ({"name": "x"}).
      return isObj(arg) ? selectorError(arg, hasOperatorKey(arg) && !hasFieldKey(arg)) : bad;
    case '$in':
    case '$nin':
    case '$all':
      return Array.isArray(arg) ? null : bad;
    case '$size':
      return Number.isInteger(arg) ? null : bad;
    case '$mod':
      return Array.isArray(arg) &&
        arg.length === 2 &&
        arg.every((n) => Number.isInteger(n)) &&
        arg[0] !== 0
        ? null
        : bad;
    case '$exists':
      return typeof arg === 'boolean' ? null : bad;
    case '$type':
      // CouchDB takes any type name; one it does not know matches nothing.
      return typeof arg === 'string' ? null : bad;
    case '$regex':
      return typeof arg === 'string' && compiles(arg) ? null : bad;
  }
  return null;
}

const hasOperatorKey = (value: Obj) => Object.keys(value).some((k) => k.startsWith('$'));
const hasFieldKey = (value: Obj) => Object.keys(value).some((k) => !k.startsWith('$'));

/**
 * The selector as PouchDB's matcher needs it, normalised as CouchDB's mango normalizer does: a
 * field given as nested objects without operators (`{"a": {"b": 1}}`) becomes a dotted path
 * (`{"a.b": ...}`), and a plain value an explicit `$eq` (PouchDB threw on the nested form when a
 * doc lacks `a`, and on an array or `{}` as the value).
 */
export function pouchSelector(selector: Obj): Obj {
  const out: Obj = {};
  const put = (key: string, value: unknown) => {
    if (key.startsWith('$')) out[key] = operatorArg(key, value);
    else if (isObj(value) && hasOperatorKey(value)) out[key] = pouchSelector(value);
    else if (isObj(value) && Object.keys(value).length > 0) {
      for (const [sub, v] of Object.entries(value)) put(`${key}.${sub}`, v);
    } else out[key] = { $eq: value };
  };
  for (const [key, value] of Object.entries(selector)) put(key, value);
  return out;
}

/** An operator's argument with the selectors inside it made PouchDB-ready too. */
function operatorArg(op: string, arg: unknown): unknown {
  if ((op === '$and' || op === '$or' || op === '$nor') && Array.isArray(arg)) {
    return arg.map((sub) => (isObj(sub) ? pouchSelector(sub) : sub));
  }
  if ((op === '$not' || op === '$elemMatch' || op === '$allMatch') && isObj(arg)) {
    return pouchSelector(arg);
  }
  return arg;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Checks the `view` parameter of `filter=_view` (its design doc is looked up afterwards). */
export function viewParamProblem(view: string | null): FilterProblem {
  if (!view) return badRequest('`view` filter parameter is not provided.');
  if (view.split('/').filter(Boolean).length !== 2) {
    return badRequest('`view` must be of the form `designname/viewname`');
  }
  return null;
}
