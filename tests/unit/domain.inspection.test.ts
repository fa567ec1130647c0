import { describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '$lib/demo/templates';
import {
  QUESTION_KINDS,
  answerErrors,
  assertEditable,
  firstSectionWithError,
  questionsOf,
  validateTemplateBody,
  type TemplateBody,
} from '$lib/domain/inspection';
import { validateDoc } from '$lib/domain/validate';
import { SEED_HLC } from '../helpers/docs';

const form = (): TemplateBody => ({
  title: 'Check',
  sections: [
    {
      id: 'one',
      title: 'One',
      questions: [
        { id: 'ok', kind: 'yesno', label: 'OK?', required: true },
        { id: 'temp', kind: 'number', label: 'Temp', min: 0, max: 8, unit: '°C', required: true },
      ],
    },
    {
      id: 'two',
      title: 'Two',
      questions: [
        { id: 'seal', kind: 'choice', label: 'Seal', options: ['Good', 'Bad'] },
        { id: 'note', kind: 'text', label: 'Note' },
        { id: 'pics', kind: 'photo', label: 'Photos', required: true },
        { id: 'sig', kind: 'signature', label: 'Signature', required: true },
      ],
    },
  ],
});

const stamps = {
  schema: 1,
  owner: 'ana',
  updatedAt: SEED_HLC,
  updatedBy: 'ana',
  deviceId: 'dev-a',
};

describe('validateTemplateBody', () => {
  it('accepts the demo templates, which together use every question kind', () => {
    const kinds = new Set<string>();
    for (const t of Object.values(DEMO_TEMPLATES)) {
      expect(validateTemplateBody(t)).toEqual({});
      expect(t.sections.length).toBeGreaterThanOrEqual(2);
      expect(t.sections.length).toBeLessThanOrEqual(4);
      for (const q of questionsOf(t)) kinds.add(q.kind);
    }
    expect([...kinds].sort()).toEqual([...QUESTION_KINDS].sort());
  });

  it('names each problem by its path in words', () => {
    const bad = {
      title: '',
      sections: [
        {
          id: 'Bad Id',
          title: 'S',
          questions: [
            { id: 'q', kind: 'slider', label: 'Q' },
            { id: 'q', kind: 'yesno', label: '' },
            { id: 'n', kind: 'number', label: 'N', min: 5, max: 1 },
            { id: 'c', kind: 'choice', label: 'C', options: ['only'] },
            { id: 'd', kind: 'choice', label: 'D', options: ['a', 'a'] },
          ],
        },
        { id: 'empty', title: 'Empty', questions: [] },
      ],
    };
    expect(validateTemplateBody(bad)).toEqual({
      title: 'Template title is required.',
      'sections.0.id': 'Section id must be lower-case letters, digits, "-" or "_".',
      'sections.0.questions.0.kind':
        'Question kind must be one of: yesno, number, choice, text, photo, signature.',
      'sections.0.questions.1.id': 'Question id "q" is used twice.',
      'sections.0.questions.1.label': 'Question text is required.',
      'sections.0.questions.2.max': 'Maximum must not be below the minimum.',
      'sections.0.questions.3.options': 'A choice needs 2 to 50 options, each short text.',
      'sections.0.questions.4.options': 'Choice options must all be different.',
      'sections.1.questions': 'A section needs at least one question.',
    });
  });

  it('refuses a template without sections', () => {
    expect(validateTemplateBody({ title: 'T', sections: [] })).toEqual({
      sections: 'A template needs at least one section.',
    });
    expect(validateTemplateBody('nope')).toEqual({ template: 'A template must be an object.' });
  });

  it('is what validateDoc checks for template docs', () => {
    const doc = { _id: 'template:t', type: 'template', ...stamps, ...form() };
    expect(validateDoc(doc)).toEqual({});
    expect(validateDoc({ ...doc, sections: 'x' })).toEqual({
      sections: 'A template needs at least one section.',
    });
  });
});

describe('answerErrors', () => {
  const signature = { attachment: 'signature-sig.png', signedAt: '2026-11-22T09:00:00.000Z' };

  it('lets a draft hold partial and out-of-range answers but not malformed ones', () => {
    expect(answerErrors(form(), { temp: 40 }, { complete: false })).toEqual({});
    expect(
      answerErrors(
        form(),
        { ok: 'yes', temp: 'cold', seal: 'Green', extra: 1 },
        { complete: false },
      ),
    ).toEqual({
      ok: 'Answer yes or no.',
      temp: 'Enter a number.',
      seal: 'Pick one of the options.',
      extra: 'This question is not part of the form.',
    });
  });

  it('on submit needs every required answer and numbers in range, keyed by question id', () => {
    expect(answerErrors(form(), { temp: 40, note: '  ' }, { complete: true })).toEqual({
      ok: 'Choose an answer.',
      temp: 'Enter a number between 0 and 8 °C.',
      pics: 'At least one photo is required.',
      sig: 'A signature is required.',
    });
  });

  it('accepts a complete set of answers', () => {
    const answers = { ok: false, temp: 4.5, pics: ['photo:p1'], sig: signature };
    expect(answerErrors(form(), answers, { complete: true })).toEqual({});
  });

  it('checks photo ids and the signature shape', () => {
    expect(
      answerErrors(
        form(),
        { pics: ['note:x'], sig: { attachment: 'other.png', signedAt: 'x' } },
        { complete: false },
      ),
    ).toEqual({
      pics: 'Attach up to 20 photos.',
      sig: 'Sign again: the signature is not readable.',
    });
  });

  it('finds the first step holding an error', () => {
    expect(firstSectionWithError(form(), { sig: 'x' })).toBe(1);
    expect(firstSectionWithError(form(), { temp: 'x', sig: 'x' })).toBe(0);
    expect(firstSectionWithError(form(), {})).toBe(-1);
  });
});

describe('inspection documents', () => {
  const base = {
    _id: 'inspection:i1',
    type: 'inspection',
    ...stamps,
    stopId: 'stop:s1',
    accountId: 'account:a1',
    templateId: 'template:t',
    template: form(),
    status: 'draft',
    answers: { temp: 40 },
    startedAt: '2026-11-22T09:00:00.000Z',
  };

  it('a draft is valid with partial answers', () => {
    expect(validateDoc(base)).toEqual({});
  });

  it('a submitted inspection must be complete and carry its submit time', () => {
    expect(validateDoc({ ...base, status: 'submitted' })).toEqual({
      submittedAt: 'A submitted inspection needs its submit time.',
      'answers.ok': 'Choose an answer.',
      'answers.temp': 'Enter a number between 0 and 8 °C.',
      'answers.pics': 'At least one photo is required.',
      'answers.sig': 'A signature is required.',
    });
  });

  it('reports a broken form copy and bad references', () => {
    expect(validateDoc({ ...base, template: { title: 'x' }, stopId: 'account:a1' })).toEqual({
      stopId: 'Stop must reference a stop.',
      'template.sections': 'A template needs at least one section.',
    });
  });

  it('assertEditable refuses a submitted inspection with a clear error', () => {
    expect(() => assertEditable({ status: 'draft' })).not.toThrow();
    expect(() => assertEditable({ status: 'submitted' })).toThrowError(
      expect.objectContaining({
        code: 'forbidden',
        message: 'This inspection was submitted and can no longer be changed.',
      }),
    );
  });
});
