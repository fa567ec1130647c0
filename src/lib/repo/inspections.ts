/**
 * Inspections on the device: start one for a stop from a template, save draft answers on every
 * change, sign with a PNG attachment, submit (every step validated; immutable afterwards).
 */
import { isHlc } from '../clock/hlc';
import { INDEX, ensureIndexes } from '../db/indexes';
import {
  answerErrors,
  answerProblem,
  assertEditable,
  isUnanswered,
  questionsOf,
  signatureAttachmentName,
  validateTemplateBody,
  type Answer,
  type InspectionDoc,
  type Question,
  type TemplateBody,
  type TemplateDoc,
} from '../domain/inspection';
import { migrate } from '../domain/schema';
import { createError, toOutpostError } from '../errors';
import type { Store } from './store';

/** Largest signature PNG accepted (a full-width pad at 3x is well under this). */
export const MAX_SIGNATURE_BYTES = 1_000_000;

/** Answer changes: a value per question id; `undefined` or an empty value clears the answer. */
export type AnswerChanges = Record<string, Answer | undefined>;

/** PNG bytes as the platform has them: a Blob in the browser, a Buffer under Node. */
export type PngData = Blob | Uint8Array;

const sizeOf = (data: PngData) => (data instanceof Uint8Array ? data.byteLength : data.size);

/** Attachment data every PouchDB adapter takes: a Blob as it is, bytes as base64. */
function attachmentData(data: PngData): Blob | string {
  if (!(data instanceof Uint8Array)) return data;
  let binary = '';
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function invalid(fields: Record<string, string>): never {
  const keys = Object.keys(fields);
  const message = keys.length === 1 ? fields[keys[0]] : `${keys.length} answers need attention.`;
  throw createError('invalid', { message, fields });
}

function questionOf(doc: InspectionDoc, questionId: string): Question {
  const q = questionsOf(doc.template).find((x) => x.id === questionId);
  if (!q) invalid({ [questionId]: 'This question is not part of the form.' });
  return q;
}

/** The newest stamp a doc carries (write, fields, answers), for the clock to receive. */
function newestStamp(doc: InspectionDoc): string | null {
  const stamps = [
    doc.updatedAt,
    ...Object.values(doc.fieldClock ?? {}),
    ...Object.values(doc.answerClock ?? {}),
  ].filter(isHlc);
  return stamps.length > 0 ? stamps.reduce((a, b) => (a > b ? a : b)) : null;
}

/** Messages for signatures whose answer is there but whose PNG is not (e.g. lost in a merge). */
function missingSignatures(doc: InspectionDoc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const q of questionsOf(doc.template)) {
    if (q.kind !== 'signature' || isUnanswered(doc.answers[q.id])) continue;
    if (!doc._attachments || !(signatureAttachmentName(q.id) in (doc._attachments as object))) {
      out[q.id] = 'The signature image is missing on this device: please sign again.';
    }
  }
  return out;
}

/** Builds the inspection commands and queries over a store. */
export function createInspectionCommands(store: Store) {
  const { db, ctx } = store;
  const nowIso = () => new Date(ctx.clock.correctedNow()).toISOString();

  /** Writes answer changes (already checked) with a fresh clock per changed answer. */
  function writeAnswers(id: string, changes: AnswerChanges): Promise<InspectionDoc> {
    return store.update('inspection', id, (current) => {
      assertEditable(current);
      const answers: Record<string, Answer> = { ...current.answers };
      const answerClock: Record<string, string> = { ...(current.answerClock ?? {}) };
      const seen = newestStamp(current);
      if (seen) ctx.clock.receive(seen);
      let changed = false;
      for (const [qid, value] of Object.entries(changes)) {
        const cleared = isUnanswered(value);
        if (cleared ? !(qid in answers) : JSON.stringify(answers[qid]) === JSON.stringify(value)) {
          continue;
        }
        if (cleared) delete answers[qid];
        else answers[qid] = value as Answer;
        answerClock[qid] = ctx.clock.now();
        changed = true;
      }
      return changed ? { answers, answerClock } : null;
    });
  }

  return {
    /** Templates on this device (synced from the server), valid ones only, by title. */
    async templates(): Promise<TemplateDoc[]> {
      try {
        const res = await store.reference.allDocs({
          startkey: 'template:',
          endkey: 'template:\ufff0',
          include_docs: true,
        });
        return res.rows
          .map((r) => r.doc as Record<string, unknown> | undefined)
          .filter((d): d is Record<string, unknown> => !!d && d.type === 'template')
          .map((d) => migrate('template', d) as unknown as TemplateDoc)
          .filter((t) => Object.keys(validateTemplateBody(t)).length === 0)
          .sort((a, b) => a.title.localeCompare(b.title, 'en'));
      } catch (err) {
        throw toOutpostError(err);
      }
    },

    /** Inspections of a stop, oldest first. */
    async inspectionsOfStop(stopId: string): Promise<InspectionDoc[]> {
      await ensureIndexes(db);
      try {
        const res = await db.find({ selector: { stopId }, use_index: INDEX.byStop });
        return res.docs
          .filter((d) => d.type === 'inspection')
          .map(
            (d) => migrate('inspection', d as Record<string, unknown>) as unknown as InspectionDoc,
          )
          .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a._id.localeCompare(b._id));
      } catch (err) {
        throw toOutpostError(err);
      }
    },

    /** One inspection (with attachment stubs); throws not_found. */
    inspection: (id: string): Promise<InspectionDoc> => store.get('inspection', id),

    /** The PNG of a signature question, or null when there is none on this device. */
    async signatureImage(id: string, questionId: string): Promise<Blob | Uint8Array | null> {
      try {
        return (await db.getAttachment(id, signatureAttachmentName(questionId))) as
          Blob | Uint8Array;
      } catch (err) {
        const e = toOutpostError(err);
        if (e.code === 'not_found') return null;
        throw e;
      }
    },

    /** Starts a draft inspection of a stop from a template (the template's form is copied). */
    async startInspection(
      stopId: string,
      templateId: string,
      opts: { id?: string } = {},
    ): Promise<InspectionDoc> {
      const stop = await store.get('stop', stopId);
      const template = await store.get('template', templateId);
      const form: TemplateBody = { title: template.title, sections: template.sections };
      if (template.description !== undefined) form.description = template.description;
      const problems = validateTemplateBody(form);
      if (Object.keys(problems).length > 0) {
        throw createError('invalid', {
          message: `The template "${template.title}" is not usable: ${Object.values(problems)[0]}`,
        });
      }
      return store.create(
        'inspection',
        {
          stopId,
          accountId: stop.accountId,
          templateId,
          template: form,
          status: 'draft',
          answers: {},
          answerClock: {},
          startedAt: nowIso(),
        },
        { id: opts.id, owner: stop.owner },
      );
    },

    /**
     * Saves draft answers (call on every change). Answers must be well formed (a number is a
     * number); out-of-range values and missing required answers are kept until submit.
     */
    async saveAnswers(id: string, changes: AnswerChanges): Promise<InspectionDoc> {
      if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
        throw createError('invalid', {
          message: 'Answers must be a set of question ids and values.',
        });
      }
      const current = await store.get('inspection', id);
      assertEditable(current);
      const problems: Record<string, string> = {};
      for (const [qid, value] of Object.entries(changes)) {
        const q = questionsOf(current.template).find((x) => x.id === qid);
        if (!q) problems[qid] = 'This question is not part of the form.';
        else if (q.kind === 'signature' && !isUnanswered(value)) {
          problems[qid] = 'Sign on the pad to answer this question.';
        } else {
          const problem = answerProblem(q, value, false);
          if (problem) problems[qid] = problem;
        }
      }
      if (Object.keys(problems).length > 0) invalid(problems);
      return writeAnswers(id, changes);
    },

    /** Stores a signature PNG as the inspection's attachment and answers the question with it. */
    async saveSignature(id: string, questionId: string, png: PngData): Promise<InspectionDoc> {
      const current = await store.get('inspection', id);
      assertEditable(current);
      store.assertWritable('inspection', current.owner);
      const q = questionOf(current, questionId);
      if (q.kind !== 'signature')
        invalid({ [questionId]: 'This question does not take a signature.' });
      const size = sizeOf(png);
      if (size === 0) invalid({ [questionId]: 'The signature is empty: sign on the pad.' });
      if (size > MAX_SIGNATURE_BYTES) {
        invalid({
          [questionId]: 'The signature image is too large; clear the pad and sign again.',
        });
      }
      // The image first: an interruption then leaves an unused image, never an answer without one.
      // A draft save landing in between moves the revision on: read it again and retry.
      let rev = current._rev as string;
      for (let attempt = 0; ; attempt++) {
        try {
          await db.putAttachment(
            id,
            signatureAttachmentName(questionId),
            rev,
            attachmentData(png),
            'image/png',
          );
          break;
        } catch (err) {
          const e = toOutpostError(err);
          if (e.code !== 'conflict' || attempt >= 3) throw e;
          const latest = await store.get('inspection', id);
          assertEditable(latest);
          rev = latest._rev as string;
        }
      }
      return writeAnswers(id, {
        [questionId]: { attachment: signatureAttachmentName(questionId), signedAt: nowIso() },
      });
    },

    /** Removes a signature (answer and image) so the question can be signed again. */
    async clearSignature(id: string, questionId: string): Promise<InspectionDoc> {
      const current = await store.get('inspection', id);
      assertEditable(current);
      questionOf(current, questionId);
      const doc = await writeAnswers(id, { [questionId]: undefined });
      const name = signatureAttachmentName(questionId);
      if (!doc._attachments || !(name in (doc._attachments as object))) return doc;
      try {
        await db.removeAttachment(id, name, doc._rev as string);
      } catch (err) {
        throw toOutpostError(err);
      }
      return store.get('inspection', id);
    },

    /**
     * Submits: every step is validated (messages keyed by question id); the inspection is then
     * immutable. Submitting an already submitted inspection returns it unchanged.
     */
    async submitInspection(id: string): Promise<InspectionDoc> {
      const current = await store.get('inspection', id);
      if (current.status === 'submitted') return current;
      const problems = {
        ...missingSignatures(current),
        ...answerErrors(current.template, current.answers, { complete: true }),
      };
      if (Object.keys(problems).length > 0) invalid(problems);
      const submittedAt = nowIso();
      return store.update('inspection', id, (doc) => {
        if (doc.status === 'submitted') return null;
        if (JSON.stringify(doc.answers) !== JSON.stringify(current.answers)) {
          throw createError('conflict', {
            message: 'The answers changed while submitting; check them and submit again.',
          });
        }
        return { status: 'submitted', submittedAt };
      });
    },
  };
}

export type InspectionCommands = ReturnType<typeof createInspectionCommands>;
