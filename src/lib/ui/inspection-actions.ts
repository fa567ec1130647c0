/**
 * What the rep can do with inspections on the screens: each intent writes through the repo
 * (local first) and reports the outcome in words; field messages are left to the form.
 */
import type { Answer } from '$lib/domain/inspection';
import type { Repo } from '$lib/repo';
import { toOutpostError, type OutpostError } from '$lib/errors';
import type { Toasts } from './toasts.svelte';

/** An intent's outcome: its value, or the error (with field messages by question id). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: OutpostError };

/** Builds the inspection intents over a repo; `isOnline` only changes the confirmations' words. */
export function createInspectionActions(repo: Repo, toasts: Toasts, isOnline: () => boolean) {
  const offline = () => (isOnline() ? '' : ' (offline)');

  async function attempt<T>(write: () => Promise<T>, confirmation?: string): Promise<Outcome<T>> {
    try {
      const value = await write();
      if (confirmation) toasts.info(`${confirmation}${offline()}`);
      return { ok: true, value };
    } catch (err) {
      const error = toOutpostError(err);
      if (Object.keys(error.fields).length === 0) toasts.error(error.message);
      return { ok: false, error };
    }
  }

  return {
    /** Starts an inspection of a stop from a template; the outcome holds the new id. */
    start: (stopId: string, templateId: string) =>
      attempt(
        async () => (await repo.startInspection(stopId, templateId))._id,
        'Inspection started',
      ),

    /** Saves draft answers (called by the draft saver; throws so the saver keeps them). */
    async saveAnswers(id: string, changes: Record<string, Answer | undefined>): Promise<void> {
      await repo.saveAnswers(id, changes);
    },

    /** Stores a drawn signature (PNG) for a question. */
    saveSignature: (id: string, questionId: string, png: Blob) =>
      attempt(() => repo.saveSignature(id, questionId, png), 'Signature saved'),

    /** Removes a signature so the question can be signed again. */
    clearSignature: (id: string, questionId: string) =>
      attempt(() => repo.clearSignature(id, questionId)),

    /** Appends a stored photo (photo-actions' capture) to a photo question's answer. */
    attachPhoto: (id: string, questionId: string, photoId: string) =>
      attempt(async () => {
        const current = (await repo.inspection(id)).answers[questionId];
        const ids = Array.isArray(current) ? current : [];
        if (ids.includes(photoId)) return repo.inspection(id);
        return repo.saveAnswers(id, { [questionId]: [...ids, photoId] });
      }),

    /** Submits: every step is validated; the outcome's error names each answer to fix. */
    submit: (id: string) => attempt(() => repo.submitInspection(id), 'Inspection submitted'),
  };
}

export type InspectionActions = ReturnType<typeof createInspectionActions>;
