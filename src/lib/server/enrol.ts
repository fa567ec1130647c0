/**
 * Device enrolment (DESIGN.md section 8): a person signs in once, online, with name and
 * password; the server checks them against CouchDB's own `_session`, then creates a revocable
 * CouchDB user for this device and returns its credential. The password is never stored.
 */
import type { ServerScope } from 'nano';
import { createError, OutpostError } from '../errors';
import { personFromUserDoc, type OutpostPerson, type Provisioner } from './provision/provision';
import { isDeviceUser, referenceDbName, userDbName } from './provision/names';
import { createDeviceUser } from './provision/users';

export interface EnrolRequest {
  name: string;
  password: string;
  deviceId: string;
  label?: string;
}

export interface EnrolResult {
  person: OutpostPerson & { displayName: string };
  /** The person's database, relative to the `/couch` front. */
  db: string;
  /** The team's reference db (products, templates), relative to the `/couch` front. */
  referenceDb: string;
  credentials: { username: string; password: string };
}

/** Checks a body from the network and returns a typed request, or throws `invalid`. */
export function parseEnrolRequest(body: unknown): EnrolRequest {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  if (typeof b.name !== 'string' || b.name.trim() === '') fields.name = 'Enter your user name.';
  if (typeof b.password !== 'string' || b.password === '') fields.password = 'Enter your password.';
  if (typeof b.deviceId !== 'string' || !/^[A-Za-z0-9_-]{4,64}$/.test(b.deviceId)) {
    fields.deviceId = 'This device has no valid id; reload the app.';
  }
  const keys = Object.keys(fields);
  if (keys.length) throw createError('invalid', { message: fields[keys[0]], fields });
  return {
    name: (b.name as string).trim().toLowerCase(),
    password: b.password as string,
    deviceId: b.deviceId as string,
    label: typeof b.label === 'string' ? b.label.slice(0, 120) : 'Browser',
  };
}

/** Enrols a device for a person; throws `unauthorized` for a wrong name or password. */
export async function enrolDevice(
  deps: { couch: ServerScope; couchUrl: string; provisioner: Provisioner },
  req: EnrolRequest,
): Promise<EnrolResult> {
  if (isDeviceUser(req.name))
    throw createError('forbidden', { message: 'Sign in with your own name, not a device name.' });
  const session = await fetch(`${deps.couchUrl.replace(/\/$/, '')}/_session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ name: req.name, password: req.password }),
  }).catch((err: unknown) => {
    throw createError('network', {
      status: 503,
      message: 'The database server is not reachable right now.',
      cause: err,
    });
  });
  if (session.status === 401) {
    throw createError('unauthorized', {
      message: 'Name or password is incorrect.',
      error: 'unauthorized',
    });
  }
  if (!session.ok) {
    throw createError('internal', {
      status: session.status,
      message: 'The database server could not check your sign-in.',
    });
  }
  let userDoc: Record<string, unknown>;
  try {
    userDoc = (await deps.couch
      .use<Record<string, unknown>>('_users')
      .get(`org.couchdb.user:${req.name}`)) as Record<string, unknown>;
  } catch (err) {
    // Signed in, yet no `_users` doc: a server admin from the config (CouchDB's [admins]).
    if ((err as { statusCode?: unknown }).statusCode === 404) throw notSetUp();
    throw createError('internal', { message: 'Your user record could not be read.', cause: err });
  }
  const person = personFromUserDoc(userDoc);
  if (!person) throw notSetUp();
  await deps.provisioner.ensurePerson(person);
  const credentials = await createDeviceUser(
    deps.couch,
    person.name,
    req.deviceId,
    req.label ?? 'Browser',
  );
  const outpost = (userDoc.outpost ?? {}) as { displayName?: unknown };
  const displayName = typeof outpost.displayName === 'string' ? outpost.displayName : person.name;
  return {
    person: { ...person, displayName },
    db: userDbName(person.name),
    referenceDb: referenceDbName(person.team),
    credentials,
  };
}

function notSetUp() {
  return createError('forbidden', {
    message: 'This account is not set up for Outpost (it needs the rep or supervisor role).',
  });
}

/** HTTP status and JSON body for an enrolment failure, keeping CouchDB's error/reason shape. */
export function enrolErrorResponse(err: unknown): {
  status: number;
  body: Record<string, unknown>;
} {
  if (err instanceof OutpostError) {
    return {
      status: err.status || 500,
      body: {
        error: err.code,
        reason: err.message,
        ...(Object.keys(err.fields).length ? { fields: err.fields } : {}),
      },
    };
  }
  return { status: 500, body: { error: 'internal', reason: 'Enrolment failed on the server.' } };
}
