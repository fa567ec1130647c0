import { afterEach, describe, expect, it } from 'vitest';
import { compareHlc } from '$lib/clock/hlc';
import { DEMO_TEMPLATES } from '$lib/demo/templates';
import { makeId } from '$lib/domain/ids';
import { stampNew } from '$lib/domain/stamp';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, putAll, stopDoc, SEED_HLC } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

/** The 8-byte PNG signature plus a few bytes: enough for an attachment. */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function templateDocs() {
  const stamp = { user: 'sam', deviceId: 'seed', hlc: SEED_HLC };
  return Object.entries(DEMO_TEMPLATES).map(([key, form]) =>
    stampNew('template', makeId('template', key), 'sam', { ...form }, stamp),
  );
}

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [accountDoc('a1'), stopDoc('s1'), ...templateDocs()]);
  return t;
}

/** Every required answer of the fridge check except the signature. */
const FRIDGE = { fridge_temp: 4, log_kept: true, seals: 'Good' };

describe('templates', () => {
  it('lists the templates on the device by title', async () => {
    const { repo } = await seeded();
    const list = await repo.templates();
    expect(list.map((t) => t.title)).toEqual(['Fridge / cold-chain check', 'Store safety walk']);
  });
});

describe('startInspection', () => {
  it("starts a draft for the stop's owner with a copy of the template's form", async () => {
    const { repo, wall } = await seeded();
    wall.set('2026-11-22T09:30:00.000Z');
    const doc = await repo.startInspection('stop:s1', 'template:fridge-check');
    expect(doc._id).toMatch(/^inspection:/);
    expect(doc).toMatchObject({
      type: 'inspection',
      owner: 'ana',
      stopId: 'stop:s1',
      accountId: 'account:a1',
      templateId: 'template:fridge-check',
      status: 'draft',
      answers: {},
      startedAt: '2026-11-22T09:30:00.000Z',
    });
    expect(doc.template.sections).toEqual(DEMO_TEMPLATES['fridge-check'].sections);
    expect(await repo.inspectionsOfStop('stop:s1')).toEqual([doc]);
  });

  it('refuses an unknown template or stop', async () => {
    const { repo } = await seeded();
    expect(await rejectionOf(repo.startInspection('stop:s1', 'template:nope'))).toMatchObject({
      code: 'not_found',
    });
    expect(
      await rejectionOf(repo.startInspection('stop:zz', 'template:fridge-check')),
    ).toMatchObject({ code: 'not_found' });
  });
});

describe('saveAnswers (draft)', () => {
  it('saves every change with a clock per answer, so a reload finds the draft', async () => {
    const { repo, wall } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, { fridge_temp: 40 });
    wall.advance(1000);
    const doc = await repo.saveAnswers(_id, { log_kept: false, remarks: 'Door sticks' });
    expect(doc.answers).toEqual({ fridge_temp: 40, log_kept: false, remarks: 'Door sticks' });
    expect(compareHlc(doc.answerClock!.log_kept, doc.answerClock!.fridge_temp)).toBeGreaterThan(0);
    expect(await repo.inspection(_id)).toEqual(doc);
    expect(validateDoc(doc)).toEqual({});
  });

  it('clears an answer with an empty value and keeps its clock', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, { remarks: 'x' });
    const doc = await repo.saveAnswers(_id, { remarks: '' });
    expect(doc.answers).toEqual({});
    expect(doc.answerClock!.remarks).toBeTruthy();
  });

  it('rejects malformed answers with messages by question id and keeps the draft', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, { remarks: 'kept' });
    const err = await rejectionOf(
      repo.saveAnswers(_id, { fridge_temp: Number.NaN, seals: 'Purple', nope: true }),
    );
    expect(err).toMatchObject({
      code: 'invalid',
      fields: {
        fridge_temp: 'Enter a number.',
        seals: 'Pick one of the options.',
        nope: 'This question is not part of the form.',
      },
    });
    expect((await repo.inspection(_id)).answers).toEqual({ remarks: 'kept' });
  });

  it('takes signatures only through the pad', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    const err = await rejectionOf(
      repo.saveAnswers(_id, {
        store_signature: { attachment: 'signature-store_signature.png', signedAt: 'x' },
      }),
    );
    expect(err).toMatchObject({
      fields: { store_signature: 'Sign on the pad to answer this question.' },
    });
  });
});

describe('signatures', () => {
  it('stores the PNG as an attachment and answers the question', async () => {
    const { repo, db } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    const doc = await repo.saveSignature(_id, 'store_signature', PNG);
    expect(doc.answers.store_signature).toEqual({
      attachment: 'signature-store_signature.png',
      signedAt: '2026-11-22T08:00:00.000Z',
    });
    const stored = await db.get(_id, { attachments: true, binary: true });
    const att = (stored._attachments as Record<string, { content_type: string; data: Buffer }>)[
      'signature-store_signature.png'
    ];
    expect(att.content_type).toBe('image/png');
    expect([...att.data]).toEqual([...PNG]);
    expect(await repo.signatureImage(_id, 'store_signature')).toBeTruthy();
  });

  it('a draft save racing the signature loses neither', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await Promise.all([
      repo.saveSignature(_id, 'store_signature', PNG),
      repo.saveAnswers(_id, { remarks: 'typed while signing' }),
    ]);
    const doc = await repo.inspection(_id);
    expect(doc.answers.remarks).toBe('typed while signing');
    expect(doc.answers.store_signature).toBeTruthy();
    expect(await repo.signatureImage(_id, 'store_signature')).toBeTruthy();
  });

  it('clear removes the answer and the image', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveSignature(_id, 'store_signature', PNG);
    const doc = await repo.clearSignature(_id, 'store_signature');
    expect(doc.answers.store_signature).toBeUndefined();
    expect(doc._attachments?.['signature-store_signature.png' as never]).toBeUndefined();
    expect(await repo.signatureImage(_id, 'store_signature')).toBeNull();
  });

  it('refuses an empty image or a question that is not a signature', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    expect(
      await rejectionOf(repo.saveSignature(_id, 'store_signature', new Uint8Array(0))),
    ).toMatchObject({
      fields: { store_signature: 'The signature is empty: sign on the pad.' },
    });
    expect(await rejectionOf(repo.saveSignature(_id, 'remarks', PNG))).toMatchObject({
      fields: { remarks: 'This question does not take a signature.' },
    });
  });
});

describe('submitInspection', () => {
  it('validates every step and names each missing answer by question id', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, { fridge_temp: 40 });
    const err = await rejectionOf(repo.submitInspection(_id));
    expect(err).toMatchObject({
      code: 'invalid',
      message: '4 answers need attention.',
      fields: {
        fridge_temp: 'Enter a number between -5 and 12 °C.',
        log_kept: 'Choose an answer.',
        seals: 'Choose an answer.',
        store_signature: 'A signature is required.',
      },
    });
    expect((await repo.inspection(_id)).status).toBe('draft');
  });

  it('submits a complete inspection; it is immutable afterwards', async () => {
    const { repo, wall } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, FRIDGE);
    await repo.saveSignature(_id, 'store_signature', PNG);
    wall.set('2026-11-22T10:00:00.000Z');
    const doc = await repo.submitInspection(_id);
    expect(doc).toMatchObject({ status: 'submitted', submittedAt: '2026-11-22T10:00:00.000Z' });
    expect(validateDoc(doc)).toEqual({});
    const locked = {
      code: 'forbidden',
      message: 'This inspection was submitted and can no longer be changed.',
    };
    expect(await rejectionOf(repo.saveAnswers(_id, { remarks: 'late' }))).toMatchObject(locked);
    expect(await rejectionOf(repo.saveSignature(_id, 'store_signature', PNG))).toMatchObject(
      locked,
    );
    expect(await rejectionOf(repo.clearSignature(_id, 'store_signature'))).toMatchObject(locked);
    expect(await repo.submitInspection(_id)).toEqual(doc);
    expect(await repo.signatureImage(_id, 'store_signature')).toBeTruthy();
  });

  it('asks to sign again when the answer is there but its image is not', async () => {
    const { repo, db } = await seeded();
    const { _id } = await repo.startInspection('stop:s1', 'template:fridge-check');
    await repo.saveAnswers(_id, FRIDGE);
    const signed = await repo.saveSignature(_id, 'store_signature', PNG);
    // As after a merge of two drafts, which carries the answer but not the attachment.
    await db.removeAttachment(_id, 'signature-store_signature.png', signed._rev!);
    expect(await rejectionOf(repo.submitInspection(_id))).toMatchObject({
      fields: {
        store_signature: 'The signature image is missing on this device: please sign again.',
      },
    });
  });
});
