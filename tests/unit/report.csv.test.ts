// The day report as CSV: RFC 4180 quoting, the byte order mark, accents, formula-injection
// guard and the one-row-per-item layout.
process.env.TZ = 'Europe/Paris';

import { describe, expect, it } from 'vitest';
import { csvField, CSV_COLUMNS, guardCell, reportCsv } from '$lib/report/csv';
import type { DayReport, ReportStop } from '$lib/report/model';

function stop(over: Partial<ReportStop> = {}): ReportStop {
  return {
    id: 'stop:s1',
    seq: 1,
    account: 'Café Lumière',
    address: '1 Main St, Fairview 40110',
    window: '08:00–09:00',
    status: 'done',
    statusText: 'Done',
    purpose: 'Restock visit',
    checkIn: '2026-11-22T08:05:00.000Z',
    checkOut: '2026-11-22T08:40:00.000Z',
    tasks: [{ title: 'Count stock', done: true, doneAt: '2026-11-22T08:30:00.000Z' }],
    notes: [{ text: 'Said "hello", then\nleft', createdAt: '2026-11-22T08:07:00.000Z' }],
    inspections: [
      {
        id: 'inspection:i1',
        title: 'Fridge check',
        status: 'submitted',
        at: '2026-11-22T08:20:00.000Z',
        answered: 1,
        questions: 2,
        answers: [{ label: 'Temperature', value: '4 °C' }],
      },
    ],
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
    photos: [
      { id: 'photo:p1', caption: 'Shelf', capturedAt: '2026-11-22T08:15:00.000Z', thumb: null },
    ],
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
      stops: 1,
      done: 1,
      checkedIn: 1,
      tasksDone: 1,
      tasks: 1,
      notes: 1,
      inspections: 1,
      inspectionsSubmitted: 1,
      orders: 1,
      submittedGross: { EUR: 2930 },
      photos: 1,
    },
  };
}

/** A small RFC 4180 parser for reading the output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i += 1;
    } else if (quoted && ch === '"') {
      quoted = false;
    } else if (quoted) {
      field += ch;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else {
      field += ch;
    }
  }
  return rows;
}

describe('day report: CSV', () => {
  it('starts with a UTF-8 byte order mark and ends every row with CRLF', () => {
    const csv = reportCsv(report([stop()]));
    expect(csv.startsWith('\uFEFFDate,Stop,Account,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '').includes('\r')).toBe(false);
    const bytes = new TextEncoder().encode(csv);
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and reads back the same', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    const rows = parseCsv(reportCsv(report([stop()])).slice(1));
    const note = rows.find((r) => r[6] === 'Note');
    expect(note?.[8]).toBe('Said "hello", then\nleft');
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
  });

  it('keeps accents and names the time zone in the Time header', () => {
    const rows = parseCsv(reportCsv(report([stop()])).slice(1));
    expect(rows[0][7]).toBe('Time (Europe/Paris, UTC+01:00)');
    expect(rows[1][2]).toBe('Café Lumière');
    expect(rows[1][4]).toBe('08:00–09:00');
  });

  it('guards cells a spreadsheet would run as formulas', () => {
    for (const danger of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx']) {
      expect(guardCell(danger)).toBe(`'${danger}`);
    }
    expect(guardCell('Normal text = fine')).toBe('Normal text = fine');
    const evil = stop({
      account: '=HYPERLINK("http://x","click")',
      notes: [{ text: '@SUM(1)', createdAt: '2026-11-22T08:07:00.000Z' }],
    });
    const rows = parseCsv(reportCsv(report([evil])).slice(1));
    expect(rows[1][2]).toBe(`'=HYPERLINK("http://x","click")`);
    expect(rows.find((r) => r[6] === 'Note')?.[8]).toBe(`'@SUM(1)`);
  });

  it('writes one row per item, stop columns repeated, local times and order amounts', () => {
    const rows = parseCsv(
      reportCsv(
        report([
          stop(),
          stop({
            id: 'stop:s2',
            seq: 2,
            account: 'Two',
            checkIn: undefined,
            checkOut: undefined,
            tasks: [],
            notes: [],
            inspections: [],
            orders: [],
            photos: [],
            purpose: undefined,
          }),
        ]),
      ).slice(1),
    );
    expect(rows.slice(1).map((r) => [r[1], r[6], r[7], r[8], r[9], r[10]])).toEqual([
      ['1', 'Visit', '', 'Restock visit', '', ''],
      ['1', 'Check-in', '09:05', '', '', ''],
      ['1', 'Check-out', '09:40', '', '', ''],
      ['1', 'Task', '09:30', 'Done: Count stock', '', ''],
      ['1', 'Note', '09:07', 'Said "hello", then\nleft', '', ''],
      [
        '1',
        'Inspection',
        '09:20',
        'Fridge check (submitted, 1 of 2 answered); Temperature: 4 °C',
        '',
        '',
      ],
      ['1', 'Order', '09:25', 'Submitted, 2 lines', '29.30', 'EUR'],
      ['1', 'Photo', '09:15', 'Shelf', '', ''],
      ['2', 'Visit', '', '', '', ''],
    ]);
    expect(rows[1].slice(0, 6)).toEqual([
      '2026-11-22',
      '1',
      'Café Lumière',
      '1 Main St, Fairview 40110',
      '08:00–09:00',
      'Done',
    ]);
  });
});
