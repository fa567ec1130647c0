/**
 * Lays the day report out on A4 pages for the PDF writer: a title block with the day's figures,
 * then each stop (account, window, status, check-in/out, tasks, notes, inspections, orders and
 * a row of photo thumbnails), breaking pages where needed, with "Page n of N" at the foot.
 */
import { readJpegInfo } from './jpeg';
import { localTime, moneyText, type DayReport, type ReportStop } from './model';
import { PAGE, writePdf, type PdfOp } from './pdf-writer';
import { wrapText } from './winansi';

const MARGIN = 42;
const FOOT = 30;
const WIDTH = PAGE.width - 2 * MARGIN;
const THUMB = 72;

/** Writes text lines top-down and starts a new page when the next block does not fit. */
class Layout {
  pages: PdfOp[][] = [[]];
  y = PAGE.height - MARGIN;

  get ops(): PdfOp[] {
    return this.pages[this.pages.length - 1];
  }

  /** Makes room for `height` points, on a new page if this one is full. */
  need(height: number): void {
    if (this.y - height >= MARGIN + FOOT) return;
    this.pages.push([]);
    this.y = PAGE.height - MARGIN;
  }

  gap(points: number): void {
    this.y -= points;
  }

  /** Wrapped text at `indent` points from the margin. */
  text(text: string, opts: { size?: number; bold?: boolean; indent?: number } = {}): void {
    const size = opts.size ?? 10;
    const indent = opts.indent ?? 0;
    const leading = size * 1.35;
    for (const line of wrapText(text, WIDTH - indent, size, opts.bold)) {
      this.need(leading);
      this.y -= leading;
      this.ops.push({
        kind: 'text',
        x: MARGIN + indent,
        y: this.y + size * 0.3,
        size,
        bold: opts.bold,
        text: line,
      });
    }
  }

  rule(): void {
    this.need(8);
    this.y -= 4;
    this.ops.push({ kind: 'line', x1: MARGIN, y1: this.y, x2: MARGIN + WIDTH, y2: this.y });
    this.y -= 4;
  }

  /** Thumbnails in rows, each scaled into a THUMB x THUMB square keeping its shape. */
  thumbnails(jpegs: Uint8Array[], indent: number): void {
    const perRow = Math.max(1, Math.floor((WIDTH - indent + 8) / (THUMB + 8)));
    for (let i = 0; i < jpegs.length; i += perRow) {
      this.need(THUMB + 6);
      this.y -= THUMB + 6;
      jpegs.slice(i, i + perRow).forEach((jpeg, k) => {
        const info = readJpegInfo(jpeg);
        const scale = info ? THUMB / Math.max(info.width, info.height) : 1;
        const width = info ? info.width * scale : THUMB;
        const height = info ? info.height * scale : THUMB;
        const x = MARGIN + indent + k * (THUMB + 8);
        this.ops.push({ kind: 'image', x, y: this.y + (THUMB - height), width, height, jpeg });
      });
    }
  }
}

/** "1 photo", "3 photos". */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const when = (iso: string | undefined) => (iso ? localTime(iso) : '-');

function stopBlock(layout: Layout, stop: ReportStop): void {
  layout.need(60); // keep a stop's heading with its first lines
  layout.gap(6);
  layout.text(`${stop.seq}. ${stop.account}`, { size: 12, bold: true });
  const where = [stop.address, stop.window, stop.statusText].filter(Boolean).join(' · ');
  layout.text(where, { size: 9 });
  if (stop.purpose) layout.text(stop.purpose, { size: 9 });
  layout.text(`Check-in ${when(stop.checkIn)} · Check-out ${when(stop.checkOut)}`, {
    indent: 10,
  });
  if (stop.tasks.length > 0) {
    layout.text('Tasks', { bold: true, indent: 10 });
    for (const t of stop.tasks) {
      const done = t.done ? `done${t.doneAt ? ` ${localTime(t.doneAt)}` : ''}` : 'open';
      layout.text(`• ${t.title} (${done})`, { indent: 20 });
    }
  }
  if (stop.notes.length > 0) {
    layout.text('Notes', { bold: true, indent: 10 });
    for (const n of stop.notes)
      layout.text(`${localTime(n.createdAt)} – ${n.text}`, { indent: 20 });
  }
  for (const i of stop.inspections) {
    const state = i.status === 'submitted' ? `submitted ${localTime(i.at)}` : 'draft';
    layout.text(`Inspection: ${i.title} (${state}, ${i.answered} of ${i.questions} answered)`, {
      bold: true,
      indent: 10,
    });
    for (const a of i.answers) layout.text(`${a.label}: ${a.value}`, { indent: 20, size: 9 });
  }
  for (const o of stop.orders) {
    const state = o.status === 'submitted' ? `submitted ${when(o.submittedAt)}` : 'draft';
    layout.text(
      `Order (${state}): ${count(o.lines, 'line')}, total ${moneyText(o.gross, o.currency)}`,
      {
        bold: true,
        indent: 10,
      },
    );
  }
  if (stop.photos.length > 0) {
    const captions = stop.photos.map((p) => p.caption).filter(Boolean);
    layout.text(
      `Photos: ${count(stop.photos.length, 'photo')}${captions.length ? ` (${captions.join('; ')})` : ''}`,
      {
        bold: true,
        indent: 10,
      },
    );
    layout.thumbnails(
      stop.photos.flatMap((p) => (p.thumb ? [p.thumb] : [])),
      20,
    );
  }
  layout.rule();
}

/** The day's figures in one line each. */
function summaryLines(report: DayReport): string[] {
  const t = report.totals;
  const gross = Object.entries(t.submittedGross)
    .map(([currency, minor]) => moneyText(minor, currency))
    .join(', ');
  return [
    `${t.done} of ${t.stops} stops done, ${t.checkedIn} checked in`,
    `${t.tasksDone} of ${t.tasks} tasks done, ${count(t.notes, 'note')}, ${count(t.photos, 'photo')}`,
    `${t.inspectionsSubmitted} of ${t.inspections} inspections submitted`,
    `${count(t.orders, 'order')}${gross ? `, submitted total ${gross}` : ''}`,
  ];
}

/** The title of the report ("Day report 2026-11-22 - Ana Ortiz"). */
export function reportTitle(report: DayReport): string {
  return `Day report ${report.date} - ${report.displayName}`;
}

/** The day report as PDF bytes. */
export function reportPdf(report: DayReport): Uint8Array {
  const layout = new Layout();
  layout.text(`Day report — ${report.displayName}`, { size: 18, bold: true });
  layout.text(report.date, { size: 12 });
  layout.text(
    `Made on this device at ${localTime(report.generatedAt)}. Times are local (${report.timeZone}).`,
    { size: 9 },
  );
  layout.gap(4);
  for (const line of summaryLines(report)) layout.text(line);
  layout.rule();
  if (report.stops.length === 0) layout.text('No stops on this day.');
  for (const stop of report.stops) stopBlock(layout, stop);

  const total = layout.pages.length;
  layout.pages.forEach((ops, i) =>
    ops.push({
      kind: 'text',
      x: MARGIN,
      y: MARGIN - 10,
      size: 8,
      text: `${reportTitle(report)} · Page ${i + 1} of ${total}`,
    }),
  );
  return writePdf({ title: reportTitle(report), author: report.displayName, pages: layout.pages });
}
