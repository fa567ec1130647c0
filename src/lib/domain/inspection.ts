/**
 * Inspections (DESIGN.md section 4): multi-step forms defined as data. A template
 * (`template:<key>`, written by supervisors, synced to every rep) lists sections of questions;
 * an inspection (`inspection:<uuid v7>`) copies the template's sections when it starts, keeps
 * draft answers (saved on every change) and becomes immutable once submitted.
 *
 * Answers are keyed by question id; each answer has its own clock in `answerClock` so that
 * concurrent drafts merge question by question (conflicts/rules.ts). Field messages for answers
 * are keyed by question id, so a form can show each one next to its question.
 */
import { isHlc } from '../clock/hlc';
import { createError } from '../errors';
import type { BaseDoc } from './types';
import { isIsoTimestamp, type FieldErrors } from './validate';

/** What a question asks for. */
export const QUESTION_KINDS = ['yesno', 'number', 'choice', 'text', 'photo', 'signature'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export const INSPECTION_STATUSES = ['draft', 'submitted'] as const;
export type InspectionStatus = (typeof INSPECTION_STATUSES)[number];

/** One question of a template. */
export interface Question {
  /** Stable id, unique in the template ("fridge_temp"); answers are keyed by it. */
  id: string;
  kind: QuestionKind;
  label: string;
  /** Short help shown under the label. */
  help?: string;
  required?: boolean;
  /** number: the accepted range (inclusive) and unit shown after the input. */
  min?: number;
  max?: number;
  unit?: string;
  /** choice: the options, in order. */
  options?: string[];
  /** text: a multi-line field. */
  multiline?: boolean;
}

/** One step of the form. */
export interface TemplateSection {
  id: string;
  title: string;
  questions: Question[];
}

/** A form definition: what a template doc holds, and what an inspection copies when it starts. */
export interface TemplateBody {
  title: string;
  description?: string;
  sections: TemplateSection[];
}

export interface TemplateDoc extends BaseDoc, TemplateBody {
  type: 'template';
}

/** A signature answer: the PNG is the inspection's attachment named `attachment`. */
export interface SignatureAnswer {
  attachment: string;
  /** Corrected time (ISO) the signature was saved. */
  signedAt: string;
}

/** yes/no: boolean; number: number; choice/text: string; photo: photo doc ids; signature. */
export type Answer = boolean | number | string | string[] | SignatureAnswer;

export interface InspectionDoc extends BaseDoc {
  type: 'inspection';
  stopId: string;
  accountId: string;
  templateId: string;
  /** The template as it was when the inspection started (title and sections). */
  template: TemplateBody;
  status: InspectionStatus;
  answers: Record<string, Answer>;
  /** HLC of the last change of each answer, for question-by-question merges. */
  answerClock?: Record<string, string>;
  /** Corrected time (ISO) the inspection was started. */
  startedAt: string;
  /** Corrected time (ISO) it was submitted. */
  submittedAt?: string;
}

export const INSPECTION_LIMITS = {
  title: 200,
  label: 500,
  help: 1000,
  sections: 20,
  questions: 100,
  options: 50,
  option: 200,
  unit: 20,
  text: 5000,
  photos: 20,
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The attachment name of a signature question's PNG. */
export function signatureAttachmentName(questionId: string): string {
  return `signature-${questionId}.png`;
}

function label(errors: FieldErrors, path: string, value: unknown, what: string, max: number) {
  if (typeof value !== 'string' || value.trim() === '') errors[path] = `${what} is required.`;
  else if (value.length > max) errors[path] = `${what} is too long (at most ${max} characters).`;
}

function optionalText(
  errors: FieldErrors,
  path: string,
  value: unknown,
  what: string,
  max: number,
) {
  if (value === undefined) return;
  if (typeof value !== 'string') errors[path] = `${what} must be text.`;
  else if (value.length > max) errors[path] = `${what} is too long (at most ${max} characters).`;
}

function validateQuestion(q: unknown, path: string, seen: Set<string>, errors: FieldErrors) {
  if (!isObj(q)) {
    errors[path] = 'A question must be an object.';
    return;
  }
  if (typeof q.id !== 'string' || !KEY.test(q.id)) {
    errors[`${path}.id`] = 'Question id must be lower-case letters, digits, "-" or "_".';
  } else if (seen.has(q.id)) {
    errors[`${path}.id`] = `Question id "${q.id}" is used twice.`;
  } else seen.add(q.id);
  label(errors, `${path}.label`, q.label, 'Question text', INSPECTION_LIMITS.label);
  optionalText(errors, `${path}.help`, q.help, 'Help text', INSPECTION_LIMITS.help);
  if (q.required !== undefined && typeof q.required !== 'boolean') {
    errors[`${path}.required`] = 'Required must be true or false.';
  }
  if (!(QUESTION_KINDS as readonly unknown[]).includes(q.kind)) {
    errors[`${path}.kind`] = `Question kind must be one of: ${QUESTION_KINDS.join(', ')}.`;
    return;
  }
  if (q.kind === 'number') {
    for (const bound of ['min', 'max'] as const) {
      const v = q[bound];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
        errors[`${path}.${bound}`] = `${bound === 'min' ? 'Minimum' : 'Maximum'} must be a number.`;
      }
    }
    if (typeof q.min === 'number' && typeof q.max === 'number' && q.min > q.max) {
      errors[`${path}.max`] = 'Maximum must not be below the minimum.';
    }
    optionalText(errors, `${path}.unit`, q.unit, 'Unit', INSPECTION_LIMITS.unit);
  }
  if (q.kind === 'choice') {
    const o = q.options;
    if (
      !Array.isArray(o) ||
      o.length < 2 ||
      o.length > INSPECTION_LIMITS.options ||
      !o.every(
        (x) => typeof x === 'string' && x.trim() !== '' && x.length <= INSPECTION_LIMITS.option,
      )
    ) {
      errors[`${path}.options`] =
        `A choice needs 2 to ${INSPECTION_LIMITS.options} options, each short text.`;
    } else if (new Set(o).size !== o.length) {
      errors[`${path}.options`] = 'Choice options must all be different.';
    }
  }
  if (q.kind === 'text' && q.multiline !== undefined && typeof q.multiline !== 'boolean') {
    errors[`${path}.multiline`] = 'Multiline must be true or false.';
  }
}

/** Validates a form definition (a template's title and sections); empty when valid. */
export function validateTemplateBody(body: unknown, prefix = ''): FieldErrors {
  const errors: FieldErrors = {};
  if (!isObj(body)) {
    return { [prefix.replace(/\.$/, '') || 'template']: 'A template must be an object.' };
  }
  label(errors, `${prefix}title`, body.title, 'Template title', INSPECTION_LIMITS.title);
  optionalText(
    errors,
    `${prefix}description`,
    body.description,
    'Description',
    INSPECTION_LIMITS.help,
  );
  const sections = body.sections;
  if (!Array.isArray(sections) || sections.length === 0) {
    errors[`${prefix}sections`] = 'A template needs at least one section.';
    return errors;
  }
  if (sections.length > INSPECTION_LIMITS.sections) {
    errors[`${prefix}sections`] = `A template has at most ${INSPECTION_LIMITS.sections} sections.`;
    return errors;
  }
  const sectionIds = new Set<string>();
  const questionIds = new Set<string>();
  let count = 0;
  sections.forEach((s, i) => {
    const path = `${prefix}sections.${i}`;
    if (!isObj(s)) {
      errors[path] = 'A section must be an object.';
      return;
    }
    if (typeof s.id !== 'string' || !KEY.test(s.id)) {
      errors[`${path}.id`] = 'Section id must be lower-case letters, digits, "-" or "_".';
    } else if (sectionIds.has(s.id)) errors[`${path}.id`] = `Section id "${s.id}" is used twice.`;
    else sectionIds.add(s.id);
    label(errors, `${path}.title`, s.title, 'Section title', INSPECTION_LIMITS.title);
    if (!Array.isArray(s.questions) || s.questions.length === 0) {
      errors[`${path}.questions`] = 'A section needs at least one question.';
      return;
    }
    count += s.questions.length;
    s.questions.forEach((q, j) =>
      validateQuestion(q, `${path}.questions.${j}`, questionIds, errors),
    );
  });
  if (count > INSPECTION_LIMITS.questions) {
    errors[`${prefix}sections`] =
      `A template has at most ${INSPECTION_LIMITS.questions} questions.`;
  }
  return errors;
}

/** Every question of a form, in order. */
export function questionsOf(body: TemplateBody): Question[] {
  return body.sections.flatMap((s) => s.questions);
}

/** True when an answer holds nothing (not given, empty text, no photos). */
export function isUnanswered(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

function rangeText(q: Question): string {
  const unit = q.unit ? ` ${q.unit}` : '';
  if (q.min !== undefined && q.max !== undefined) return `between ${q.min} and ${q.max}${unit}`;
  if (q.min !== undefined) return `at least ${q.min}${unit}`;
  return `at most ${q.max}${unit}`;
}

/**
 * The shape problem of an answer for its question, or null. Drafts may hold an answer out of
 * range (the form shows the message and keeps what was typed); `complete` also checks ranges.
 */
export function answerProblem(q: Question, value: unknown, complete: boolean): string | null {
  if (isUnanswered(value)) return null;
  switch (q.kind) {
    case 'yesno':
      return typeof value === 'boolean' ? null : 'Answer yes or no.';
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'Enter a number.';
      const out = (q.min !== undefined && value < q.min) || (q.max !== undefined && value > q.max);
      return complete && out ? `Enter a number ${rangeText(q)}.` : null;
    }
    case 'choice':
      return typeof value === 'string' && (q.options ?? []).includes(value)
        ? null
        : 'Pick one of the options.';
    case 'text':
      if (typeof value !== 'string') return 'Answer with text.';
      return value.length > INSPECTION_LIMITS.text
        ? `At most ${INSPECTION_LIMITS.text} characters.`
        : null;
    case 'photo':
      return Array.isArray(value) &&
        value.length <= INSPECTION_LIMITS.photos &&
        value.every((id) => typeof id === 'string' && /^photo:./.test(id))
        ? null
        : `Attach up to ${INSPECTION_LIMITS.photos} photos.`;
    case 'signature':
      return isObj(value) &&
        typeof value.attachment === 'string' &&
        value.attachment === signatureAttachmentName(q.id) &&
        typeof value.signedAt === 'string' &&
        isIsoTimestamp(value.signedAt)
        ? null
        : 'Sign again: the signature is not readable.';
  }
}

/** The message for a missing required answer. */
function missingMessage(q: Question): string {
  if (q.kind === 'signature') return 'A signature is required.';
  if (q.kind === 'photo') return 'At least one photo is required.';
  if (q.kind === 'yesno' || q.kind === 'choice') return 'Choose an answer.';
  return 'This answer is required.';
}

/**
 * Messages for answers, keyed by question id. A draft only needs well-formed answers to known
 * questions; `complete` (submit) also needs every required answer and every number in range.
 */
export function answerErrors(
  body: TemplateBody,
  answers: unknown,
  opts: { complete: boolean },
): FieldErrors {
  if (!isObj(answers)) return { answers: 'Answers must be a set of question ids and values.' };
  const errors: FieldErrors = {};
  const questions = new Map(questionsOf(body).map((q) => [q.id, q]));
  for (const id of Object.keys(answers)) {
    if (!questions.has(id)) errors[id] = 'This question is not part of the form.';
  }
  for (const q of questions.values()) {
    const value = answers[q.id];
    const problem = answerProblem(q, value, opts.complete);
    if (problem) errors[q.id] = problem;
    else if (opts.complete && q.required && isUnanswered(value)) errors[q.id] = missingMessage(q);
  }
  return errors;
}

/** Index of the first section holding one of the errors' questions, or -1. */
export function firstSectionWithError(body: TemplateBody, errors: FieldErrors): number {
  return body.sections.findIndex((s) => s.questions.some((q) => errors[q.id] !== undefined));
}

/** True while an inspection may still be edited (a submitted one is final). */
export function isEditable(doc: Pick<InspectionDoc, 'status'>): boolean {
  return doc.status === 'draft';
}

/** Throws `forbidden` when the inspection was submitted: it never changes afterwards. */
export function assertEditable(doc: Pick<InspectionDoc, 'status' | 'submittedAt'>): void {
  if (isEditable(doc)) return;
  throw createError('forbidden', {
    message: 'This inspection was submitted and can no longer be changed.',
  });
}

/** Adds `template` doc checks (validate.ts BY_TYPE) to `errors`. */
export function validateTemplateDoc(doc: Obj, errors: FieldErrors): void {
  Object.assign(errors, validateTemplateBody(doc));
}

/** Adds `inspection` doc checks (validate.ts BY_TYPE) to `errors`. */
export function validateInspectionDoc(doc: Obj, errors: FieldErrors): void {
  for (const [field, type, name] of [
    ['stopId', 'stop', 'Stop'],
    ['accountId', 'account', 'Account'],
    ['templateId', 'template', 'Template'],
  ] as const) {
    const v = doc[field];
    if (typeof v !== 'string' || !v.startsWith(`${type}:`) || v.length <= type.length + 1) {
      errors[field] = `${name} must reference ${type === 'account' ? 'an' : 'a'} ${type}.`;
    }
  }
  if (!(INSPECTION_STATUSES as readonly unknown[]).includes(doc.status)) {
    errors.status = `Status must be one of: ${INSPECTION_STATUSES.join(', ')}.`;
  }
  if (!isIsoTimestamp(doc.startedAt)) {
    errors.startedAt = 'Start time must be a valid date and time.';
  }
  if (
    doc.status === 'submitted' &&
    (typeof doc.submittedAt !== 'string' || !isIsoTimestamp(doc.submittedAt))
  ) {
    errors.submittedAt = 'A submitted inspection needs its submit time.';
  }
  if (doc.answerClock !== undefined) {
    const c = doc.answerClock;
    if (!isObj(c) || !Object.values(c).every(isHlc)) {
      errors.answerClock = 'Answer clock must map question ids to HLC timestamps.';
    }
  }
  const template = validateTemplateBody(doc.template, 'template.');
  if (Object.keys(template).length > 0) {
    Object.assign(errors, template);
    return;
  }
  const answers = answerErrors(doc.template as TemplateBody, doc.answers, {
    complete: doc.status === 'submitted',
  });
  for (const [id, message] of Object.entries(answers)) {
    errors[id === 'answers' ? id : `answers.${id}`] = message;
  }
}
