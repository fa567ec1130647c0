/** Who may write a doc of a given owner: the server's validate_doc_update rule, on the device. */

/** Whether this device may write a doc of this owner (and type, when known). */
export type MayWrite = (owner: unknown, type?: unknown) => boolean;

/**
 * The owners a signed-in person's device may write for: a rep only their own docs; a supervisor
 * their team's (their db holds nothing else they could write), except device status docs, which
 * only their own person's devices write.
 */
export function writerFor(person: { name: string; role: 'rep' | 'supervisor' }): MayWrite {
  if (person.role === 'rep') return (owner) => owner === person.name;
  return (owner, type) => type !== 'device' || owner === person.name;
}
