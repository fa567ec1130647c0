// The day report as PDF: a valid file (header, xref offsets, trailer), the text present and
// readable (WinAnsi accents), one image object per thumbnail, page breaks for long days.
process.env.TZ = 'Europe/Paris';

import { describe, expect, it } from 'vitest';
import { readJpegInfo } from '$lib/report/jpeg';
import type { DayReport, ReportStop } from '$lib/report/model';
import { reportPdf } from '$lib/report/pdf-report';
import { pdfString, writePdf } from '$lib/report/pdf-writer';
import { encodeWinAnsi, textWidth, wrapText } from '$lib/report/winansi';
import {
  fakeJpeg,
  pdfImageCount,
  pdfPageCount,
  pdfSource,
  pdfText,
  xrefProblems,
} from '../helpers/pdf-text';

function stop(seq: number, over: Partial<ReportStop> = {}): ReportStop {
  return {
    id: `stop:s${seq}`,
    seq,
    account: `Café Lumière ${seq}`,
    address: '1 Main St, Fairview 40110',
    window: '08:00–09:00',
    status: 'done',
    statusText: 'Done',
    checkIn: '2026-11-22T08:05:00.000Z',
    checkOut: '2026-11-22T08:40:00.000Z',
    tasks: [{ title: 'Count stock', done: true, doneAt: '2026-11-22T08:30:00.000Z' }],
    notes: [{ text: 'Gate code (4711) \\ back door', createdAt: '2026-11-22T08:07:00.000Z' }],
    inspections: [],
    orders: [],
    photos: [],
    ...over,
  };
}

function report(stops: ReportStop[]): DayReport {
  return {
    date: '2026-11-22',
    user: 'ana',
    displayName: 'Ana Ortiz',
    generatedAt: '2026-11-22T17:00:00.000Z',
    timeZone: 'Europe/Paris, UTC+01:00',
    stops,
    totals: {
      stops: stops.length,
      done: stops.length,
      checkedIn: stops.length,
      tasksDone: 1,
      tasks: 1,
      notes: 1,
      inspections: 0,
      inspectionsSubmitted: 0,
      orders: 1,
      submittedGross: { EUR: 2930 },
      photos: 0,
    },
  };
}

describe('day report: PDF', () => {
  it('is a PDF 1.4 file whose xref points at every object and whose trailer is complete', () => {
    const pdf = reportPdf(report([stop(1)]));
    const source = pdfSource(pdf);
    expect(source.startsWith('%PDF-1.4\n')).toBe(true);
    expect(source.endsWith('%%EOF\n')).toBe(true);
    expect(xrefProblems(pdf)).toEqual([]);
    expect(source).toMatch(/\/Root 1 0 R/);
    expect(source).toContain('/BaseFont /Helvetica /Encoding /WinAnsiEncoding');
    expect(source).not.toContain('/FlateDecode');
  });

  it('shows the day’s text with accents and times in local time', () => {
    const text = pdfText(
      reportPdf(
        report([
          stop(1, {
            orders: [
              {
                id: 'order:o1',
                status: 'submitted',
                submittedAt: '2026-11-22T08:25:00.000Z',
                lines: 2,
                gross: 2930,
                currency: 'EUR',
              },
            ],
          }),
        ]),
      ),
    );
    expect(text).toContain('Day report — Ana Ortiz');
    expect(text).toContain('2026-11-22');
    expect(text).toContain('1. Café Lumière 1');
    expect(text).toContain('Check-in 09:05 · Check-out 09:40');
    expect(text).toContain('• Count stock (done 09:30)');
    expect(text).toContain('09:07 – Gate code (4711) \\ back door');
    expect(text).toContain('Order (submitted 09:25): 2 lines, total 29.30 EUR');
    expect(text).toContain('Times are local (Europe/Paris, UTC+01:00)');
    expect(text).toContain('1 of 1 stops done, 1 checked in');
  });

  it('embeds one DCTDecode image per distinct thumbnail with its pixel size', () => {
    const a = fakeJpeg(200, 150);
    const b = fakeJpeg(120, 200);
    const photos = [
      { id: 'photo:a', capturedAt: '2026-11-22T08:15:00.000Z', thumb: a, caption: 'Shelf' },
      { id: 'photo:b', capturedAt: '2026-11-22T08:16:00.000Z', thumb: b },
      { id: 'photo:c', capturedAt: '2026-11-22T08:17:00.000Z', thumb: null },
    ];
    const pdf = reportPdf(report([stop(1, { photos })]));
    expect(pdfImageCount(pdf)).toBe(2);
    const source = pdfSource(pdf);
    expect(source).toContain('/Width 200 /Height 150 /ColorSpace /DeviceRGB');
    expect(source).toContain('/Width 120 /Height 200 /ColorSpace /DeviceRGB');
    expect((source.match(/\/Im\d+ Do/g) ?? []).length).toBe(2);
    expect(pdfText(pdf)).toContain('Photos: 3 photos (Shelf)');
    expect(xrefProblems(pdf)).toEqual([]);
  });

  it('breaks a long day over several pages, numbered "Page n of N"', () => {
    const stops = Array.from({ length: 40 }, (_, i) => stop(i + 1));
    const pdf = reportPdf(report(stops));
    const { pages, count } = pdfPageCount(pdf);
    expect(pages).toBeGreaterThan(2);
    expect(count).toBe(pages);
    const text = pdfText(pdf);
    expect(text).toContain(`Page 1 of ${pages}`);
    expect(text).toContain(`Page ${pages} of ${pages}`);
    expect(text).toContain('40. Café Lumière 40');
    expect(xrefProblems(pdf)).toEqual([]);
  });

  it('says so on an empty day', () => {
    const pdf = reportPdf(report([]));
    expect(pdfText(pdf)).toContain('No stops on this day.');
    expect(pdfPageCount(pdf)).toEqual({ pages: 1, count: 1 });
  });
});

describe('PDF building blocks', () => {
  it('encodes WinAnsi: Latin-1 as is, € and dashes in 0x80-0x9F, the rest as ?', () => {
    expect(Array.from(encodeWinAnsi('é€—–•ñ'))).toEqual([0xe9, 0x80, 0x97, 0x96, 0x95, 0xf1]);
    expect(Array.from(encodeWinAnsi('e\u0301'))).toEqual([0xe9]);
    expect(Array.from(encodeWinAnsi('日本'))).toEqual([0x3f, 0x3f]);
    expect(pdfString('a(b)c\\é')).toBe('(a\\(b\\)c\\\\\\351)');
  });

  it('wraps text to the width and cuts words longer than a line', () => {
    const lines = wrapText('The quick brown fox jumps over the lazy dog '.repeat(6), 200, 10);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(textWidth(line, 10)).toBeLessThanOrEqual(200);
    const long = wrapText('x'.repeat(200), 100, 10);
    expect(long.join('')).toBe('x'.repeat(200));
    for (const line of long) expect(textWidth(line, 10)).toBeLessThanOrEqual(100);
    expect(textWidth('M', 1000)).toBe(833);
  });

  it('reads a JPEG’s frame size and refuses what is not a JPEG', () => {
    expect(readJpegInfo(fakeJpeg(640, 480))).toEqual({ width: 640, height: 480, components: 3 });
    expect(readJpegInfo(fakeJpeg(10, 20, 1))).toEqual({ width: 10, height: 20, components: 1 });
    expect(readJpegInfo(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0]))).toBeNull();
  });

  it('draws an unreadable image as a grey box rather than embedding it', () => {
    const pdf = writePdf({
      title: 'x',
      pages: [
        [{ kind: 'image', x: 0, y: 0, width: 10, height: 10, jpeg: Uint8Array.from([1, 2, 3]) }],
      ],
    });
    expect(pdfImageCount(pdf)).toBe(0);
    expect(pdfSource(pdf)).toContain('0.85 g 0 0 10 10 re f');
    expect(xrefProblems(pdf)).toEqual([]);
  });
});
