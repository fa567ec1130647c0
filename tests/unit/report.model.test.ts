// The end-of-day report's content, read from a memory db: route order, times, tasks, notes,
// inspections (answers in words), orders (lines, gross), photos with their thumbnails.
process.env.TZ = 'Europe/Paris';

import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionDoc } from '$lib/domain/inspection';
import type { OrderDoc } from '$lib/domain/order';
import type { PhotoDoc } from '$lib/domain/photo';
import { buildDayReport, collectDay, moneyText } from '$lib/report';
import { utcOffsetLabel } from '$lib/report/time';
import { accountDoc, eventDoc, noteDoc, putAll, SEED_HLC, stopDoc, taskDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { orderLine } from '../helpers/orders';
import { fakeJpeg } from '../helpers/pdf-text';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const meta = (id: string) => ({
  _id: id,
  schema: 1,
  owner: 'ana',
  updatedAt: SEED_HLC,
  updatedBy: 'ana',
  deviceId: 'seed',
});

function inspectionDoc(over: Partial<InspectionDoc> = {}): InspectionDoc {
  return {
    ...meta('inspection:i1'),
    type: 'inspection',
    stopId: 'stop:s1',
    accountId: 'account:a1',
    templateId: 'template:fridge',
    template: {
      title: 'Fridge check',
      sections: [
        {
          id: 'main',
          title: 'Fridge',
          questions: [
            { id: 'clean', kind: 'yesno', label: 'Clean?' },
            { id: 'temp', kind: 'number', label: 'Temperature', unit: '°C' },
            { id: 'shelf', kind: 'choice', label: 'Shelf', options: ['Top', 'Bottom'] },
            { id: 'pics', kind: 'photo', label: 'Pictures' },
            { id: 'remarks', kind: 'text', label: 'Remarks' },
          ],
        },
      ],
    },
    status: 'submitted',
    answers: { clean: true, temp: 4, shelf: 'Top', pics: ['photo:p2'], remarks: '' },
    startedAt: '2026-11-22T08:10:00.000Z',
    submittedAt: '2026-11-22T08:20:00.000Z',
    ...over,
  } as InspectionDoc;
}

function orderDoc(id: string, over: Partial<OrderDoc> = {}): OrderDoc {
  return {
    ...meta(id),
    type: 'order',
    stopId: 'stop:s1',
    accountId: 'account:a1',
    currency: 'EUR',
    status: 'submitted',
    submittedAt: '2026-11-22T08:25:00.000Z',
    lines: {
      l1: orderLine('l1', { qty: 2, unitPrice: 1000, taxRate: 1900 }),
      l2: orderLine('l2', { qty: 1, unitPrice: 550, taxRate: 0 }),
      l3: orderLine('l3', { qty: 5, removed: true }),
    },
    totals: { net: 2550, tax: 380, gross: 2930 },
    ...over,
  } as OrderDoc;
}

function photoDoc(id: string, over: Partial<PhotoDoc> = {}, thumb = true): PhotoDoc {
  return {
    ...meta(id),
    type: 'photo',
    stopId: 'stop:s1',
    capturedAt: '2026-11-22T08:15:00.000Z',
    width: 1600,
    height: 1200,
    ...(thumb
      ? {
          _attachments: {
            thumb: {
              content_type: 'image/jpeg',
              data: Buffer.from(fakeJpeg(200, 150)).toString('base64'),
            },
          },
        }
      : {}),
    ...over,
  } as PhotoDoc;
}

async function seededDay() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1', { name: 'Café Lumière' }),
    accountDoc('a2', { name: 'Bäckerei Süß' }),
    stopDoc('s1', { seq: 2, accountId: 'account:a1', status: 'done' }),
    stopDoc('s2', { seq: 1, accountId: 'account:a2', window: { start: '07:00', end: '08:00' } }),
    stopDoc('s3', { seq: 3, accountId: 'account:gone', status: 'cancelled' }),
    stopDoc('other-day', { date: '2026-11-23', accountId: 'account:a1' }),
    stopDoc('other-rep', { assignee: 'ben', owner: 'ben', accountId: 'account:a1' }),
    eventDoc('out', { kind: 'check_out', occurredAt: '2026-11-22T08:40:00.000Z' }),
    eventDoc('in', { kind: 'check_in', occurredAt: '2026-11-22T08:05:00.000Z' }),
    taskDoc('t1', { title: 'Count shelf stock', done: true, doneAt: '2026-11-22T08:30:00.000Z' }),
    taskDoc('t2', { title: 'Check expiry dates' }),
    noteDoc('n2', { text: 'Second note', createdAt: '2026-11-22T08:35:00.000Z' }),
    noteDoc('n1', { text: 'First note', createdAt: '2026-11-22T08:07:00.000Z' }),
    noteDoc('n-account', { stopId: undefined, text: 'About the account only' }),
    inspectionDoc(),
    inspectionDoc({ _id: 'inspection:i0', status: 'draft', submittedAt: undefined, answers: {} }),
    orderDoc('order:o1'),
    orderDoc('order:o2', { status: 'draft', submittedAt: undefined }),
    photoDoc('photo:p1', { caption: 'Shelf before' }),
    photoDoc('photo:p2', {
      stopId: undefined,
      inspectionId: 'inspection:i1',
      capturedAt: '2026-11-22T08:12:00.000Z',
    }),
    photoDoc('photo:p3', { capturedAt: '2026-11-22T08:16:00.000Z' }, false),
  ]);
  return t;
}

describe('day report: content', () => {
  it('lists the day’s stops of the rep in route order with account, window and status', async () => {
    const { repo } = await seededDay();
    const report = buildDayReport(
      await collectDay(repo, '2026-11-22', {
        displayName: 'Ana Ortiz',
        now: new Date('2026-11-22T17:00:00Z'),
      }),
    );
    expect(report.stops.map((s) => [s.seq, s.account, s.window, s.statusText])).toEqual([
      [1, 'Bäckerei Süß', '07:00–08:00', 'Planned'],
      [2, 'Café Lumière', '08:00–09:00', 'Done'],
      [3, 'Account not on this device', '08:00–09:00', 'Cancelled'],
    ]);
    expect(report.displayName).toBe('Ana Ortiz');
    expect(report.generatedAt).toBe('2026-11-22T17:00:00.000Z');
    expect(report.stops[1].address).toBe('1 Main St, Fairview 40110');
    expect(report.timeZone).toBe('Europe/Paris, UTC+01:00');
  });

  it('keeps check-in/out times, tasks and the stop’s notes (oldest first, not the account’s)', async () => {
    const { repo } = await seededDay();
    const stop = buildDayReport(await collectDay(repo, '2026-11-22')).stops[1];
    expect(stop.checkIn).toBe('2026-11-22T08:05:00.000Z');
    expect(stop.checkOut).toBe('2026-11-22T08:40:00.000Z');
    expect(stop.tasks).toEqual([
      { title: 'Count shelf stock', done: true, doneAt: '2026-11-22T08:30:00.000Z' },
      { title: 'Check expiry dates', done: false, doneAt: undefined },
    ]);
    expect(stop.notes.map((n) => n.text)).toEqual(['First note', 'Second note']);
  });

  it('summarises inspections with their answers in words', async () => {
    const { repo } = await seededDay();
    const [draft, submitted] = buildDayReport(await collectDay(repo, '2026-11-22')).stops[1]
      .inspections;
    expect(draft).toMatchObject({
      title: 'Fridge check',
      status: 'draft',
      answered: 0,
      questions: 5,
    });
    expect(submitted).toMatchObject({
      status: 'submitted',
      at: '2026-11-22T08:20:00.000Z',
      answered: 4,
      questions: 5,
    });
    expect(submitted.answers).toEqual([
      { label: 'Clean?', value: 'Yes' },
      { label: 'Temperature', value: '4 °C' },
      { label: 'Shelf', value: 'Top' },
      { label: 'Pictures', value: '1 photo' },
    ]);
  });

  it('counts live order lines and the gross total from the lines', async () => {
    const { repo } = await seededDay();
    const report = buildDayReport(await collectDay(repo, '2026-11-22'));
    expect(report.stops[1].orders).toEqual([
      {
        id: 'order:o1',
        status: 'submitted',
        submittedAt: '2026-11-22T08:25:00.000Z',
        lines: 2,
        gross: 2930,
        currency: 'EUR',
      },
      {
        id: 'order:o2',
        status: 'draft',
        submittedAt: undefined,
        lines: 2,
        gross: 2930,
        currency: 'EUR',
      },
    ]);
    expect(moneyText(123456, 'EUR')).toBe('1,234.56 EUR');
  });

  it('includes the stop’s photos and those answering its inspections, with thumbnails', async () => {
    const { repo } = await seededDay();
    const photos = buildDayReport(await collectDay(repo, '2026-11-22')).stops[1].photos;
    expect(photos.map((p) => [p.id, p.caption, p.thumb?.length ?? null])).toEqual([
      ['photo:p2', undefined, fakeJpeg(200, 150).length],
      ['photo:p1', 'Shelf before', fakeJpeg(200, 150).length],
      ['photo:p3', undefined, null],
    ]);
    expect(Array.from(photos[1].thumb ?? [])).toEqual(Array.from(fakeJpeg(200, 150)));
    const withoutThumbs = buildDayReport(
      await collectDay(repo, '2026-11-22', { thumbnails: false }),
    );
    expect(withoutThumbs.stops[1].photos.every((p) => p.thumb === null)).toBe(true);
  });

  it('adds up the day: stops (not cancelled), done, check-ins, tasks, notes, submitted totals', async () => {
    const { repo } = await seededDay();
    expect(buildDayReport(await collectDay(repo, '2026-11-22')).totals).toEqual({
      stops: 2,
      done: 1,
      checkedIn: 1,
      tasksDone: 1,
      tasks: 2,
      notes: 2,
      inspections: 2,
      inspectionsSubmitted: 1,
      orders: 2,
      submittedGross: { EUR: 2930 },
      photos: 3,
    });
  });

  it('is empty for a day without stops, and another rep’s day on request', async () => {
    const { repo } = await seededDay();
    expect(buildDayReport(await collectDay(repo, '2026-11-21')).stops).toEqual([]);
    const ben = buildDayReport(await collectDay(repo, '2026-11-22', { assignee: 'ben' }));
    expect(ben.stops.map((s) => s.id)).toEqual(['stop:other-rep']);
    expect(ben.user).toBe('ben');
  });

  it('names the UTC offset of the device at the time (summer and winter)', () => {
    expect(utcOffsetLabel(new Date('2026-07-01T12:00:00Z'))).toBe('UTC+02:00');
    expect(utcOffsetLabel(new Date('2026-12-01T12:00:00Z'))).toBe('UTC+01:00');
  });
});
