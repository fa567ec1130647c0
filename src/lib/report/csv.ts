/**
 * The day report as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote
 * or line break, quotes doubled), UTF-8 with a byte order mark so spreadsheet apps read accents
 * right. Layout: one row per thing recorded, stops in route order; each stop starts with its
 * "Visit" row, then check-in, check-out, tasks, notes, inspections, orders and photos. Every row
 * repeats the stop's columns so the sheet can be filtered and sorted. Times are the device's
 * local clock time; the header of the Time column names the zone. Cells that a spreadsheet
 * would run as a formula (starting with = + - @, tab or CR) are prefixed with an apostrophe.
 */
import { localTime, type DayReport, type ReportStop } from './model';

/** The columns, in order (the Time column's header gets the time zone appended). */
export const CSV_COLUMNS = [
  'Date',
  'Stop',
  'Account',
  'Address',
  'Window',
  'Stop status',
  'Item',
  'Time',
  'Details',
  'Amount',
  'Currency',
] as const;

const BOM = '\uFEFF';

/** A cell a spreadsheet will not evaluate: formula-like text gets a leading apostrophe. */
export function guardCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  const safe = guardCell(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as RFC 4180 text with CRLF line ends. */
export function csvText(rows: string[][]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

type Item = [item: string, time: string, details: string, amount?: string, currency?: string];

const time = (iso: string | undefined) => (iso ? localTime(iso) : '');

function itemsOf(stop: ReportStop): Item[] {
  const items: Item[] = [['Visit', '', stop.purpose ?? '']];
  if (stop.checkIn) items.push(['Check-in', time(stop.checkIn), '']);
  if (stop.checkOut) items.push(['Check-out', time(stop.checkOut), '']);
  for (const t of stop.tasks) {
    items.push(['Task', time(t.doneAt), `${t.done ? 'Done' : 'Open'}: ${t.title}`]);
  }
  for (const n of stop.notes) items.push(['Note', time(n.createdAt), n.text]);
  for (const i of stop.inspections) {
    const answers = i.answers.map((a) => `${a.label}: ${a.value}`).join('; ');
    const head = `${i.title} (${i.status === 'submitted' ? 'submitted' : 'draft'}, ${i.answered} of ${i.questions} answered)`;
    items.push(['Inspection', time(i.at), answers ? `${head}; ${answers}` : head]);
  }
  for (const o of stop.orders) {
    const lines = `${o.lines} ${o.lines === 1 ? 'line' : 'lines'}`;
    items.push([
      'Order',
      time(o.submittedAt),
      `${o.status === 'submitted' ? 'Submitted' : 'Draft'}, ${lines}`,
      (o.gross / 100).toFixed(2),
      o.currency,
    ]);
  }
  for (const p of stop.photos) items.push(['Photo', time(p.capturedAt), p.caption ?? '']);
  return items;
}

/** The report as CSV text (with the byte order mark). */
export function reportCsv(report: DayReport): string {
  const header = CSV_COLUMNS.map((c) => (c === 'Time' ? `Time (${report.timeZone})` : c));
  const rows: string[][] = [header];
  for (const stop of report.stops) {
    const stopCells = [
      report.date,
      String(stop.seq),
      stop.account,
      stop.address,
      stop.window,
      stop.statusText,
    ];
    for (const [item, at, details, amount = '', currency = ''] of itemsOf(stop)) {
      rows.push([...stopCells, item, at, details, amount, currency]);
    }
  }
  return BOM + csvText(rows);
}
