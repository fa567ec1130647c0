/** Who may write a doc of a given owner: the server's validate_doc_update rule, on the device. */

/** Whether this device may write a doc of this owner. */
export type MayWrite = (owner: unknown) => boolean;

/**
 * The owners a signed-in person's device may write for: a rep only their own docs; a supervisor
 * their team's (their db holds nothing else they could write).
 */
export function writerFor(person: { name: string; role: 'rep' | 'supervisor' }): MayWrite {
  return person.role === 'supervisor' ? () => true : (owner) => owner === person.name;
}
