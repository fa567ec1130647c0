/**
 * The end-of-day report as data: built by a pure function from what the device holds for one
 * day (collect.ts reads it), then written as CSV (csv.ts), PDF (pdf-report.ts) or shown on screen.
 * Times stay ISO here; writers show them in the device's local time (`timeZone` says which).
 */
import type { InspectionDoc, Question } from '../domain/inspection';
import { questionsOf, isUnanswered } from '../domain/inspection';
import { liveLines, orderTotals, type OrderDoc } from '../domain/order';
import type { PhotoDoc } from '../domain/photo';
import type { AccountDoc, EventDoc, NoteDoc, StopDoc, StopStatus, TaskDoc } from '../domain/types';
import { addressLine, clockTime, statusLabel, windowLabel } from '../ui/format';

export interface ReportTask {
  title: string;
  done: boolean;
  doneAt?: string;
}

export interface ReportNote {
  text: string;
  createdAt: string;
}

/** One answered question: its label and the answer in words. */
export interface ReportAnswer {
  label: string;
  value: string;
}

export interface ReportInspection {
  id: string;
  title: string;
  status: 'draft' | 'submitted';
  /** Submitted time, else when it was started. */
  at: string;
  answered: number;
  questions: number;
  answers: ReportAnswer[];
}

export interface ReportOrder {
  id: string;
  status: 'draft' | 'submitted';
  submittedAt?: string;
  lines: number;
  /** Gross total in minor units (cents). */
  gross: number;
  currency: string;
}

export interface ReportPhoto {
  id: string;
  caption?: string;
  capturedAt: string;
  /** The JPEG thumbnail, when it was read (null when missing on this device). */
  thumb: Uint8Array | null;
}

export interface ReportStop {
  id: string;
  seq: number;
  account: string;
  address: string;
  window: string;
  status: StopStatus;
  statusText: string;
  purpose?: string;
  checkIn?: string;
  checkOut?: string;
  tasks: ReportTask[];
  notes: ReportNote[];
  inspections: ReportInspection[];
  orders: ReportOrder[];
  photos: ReportPhoto[];
}

/** Figures for the day, shown at the top of every format. */
export interface ReportTotals {
  stops: number;
  done: number;
  checkedIn: number;
  tasksDone: number;
  tasks: number;
  notes: number;
  inspections: number;
  inspectionsSubmitted: number;
  orders: number;
  /** Gross of submitted orders per currency, in minor units. */
  submittedGross: Record<string, number>;
  photos: number;
}

export interface DayReport {
  date: string;
  user: string;
  displayName: string;
  generatedAt: string;
  /** "Europe/Paris, UTC+01:00": the zone the local times are in. */
  timeZone: string;
  stops: ReportStop[];
  totals: ReportTotals;
}

/** Everything one stop has on the device (collect.ts gathers it). */
export interface StopInput {
  stop: StopDoc;
  account: AccountDoc | null;
  events: EventDoc[];
  tasks: TaskDoc[];
  notes: NoteDoc[];
  inspections: InspectionDoc[];
  orders: OrderDoc[];
  photos: PhotoDoc[];
  /** Thumbnail bytes by photo id. */
  thumbs: Map<string, Uint8Array>;
}

export interface DayInput {
  date: string;
  user: string;
  displayName: string;
  generatedAt: string;
  timeZone: string;
  /** In route order. */
  stops: StopInput[];
}

const byTime =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** An amount in minor units as "1,234.50 EUR". */
export function moneyText(minor: number, currency: string): string {
  const major = (minor / 100).toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  return `${major} ${currency}`;
}

/** An ISO time as the device's local clock time "09:12". */
export const localTime = clockTime;

function answerText(question: Question, value: unknown): string {
  switch (question.kind) {
    case 'yesno':
      return value === true ? 'Yes' : 'No';
    case 'number':
      return question.unit ? `${String(value)} ${question.unit}` : String(value);
    case 'photo': {
      const count = Array.isArray(value) ? value.length : 0;
      return count === 1 ? '1 photo' : `${count} photos`;
    }
    case 'signature': {
      const signedAt = (value as { signedAt?: unknown } | null)?.signedAt;
      return typeof signedAt === 'string' ? `Signed at ${localTime(signedAt)}` : 'Signed';
    }
    default:
      return Array.isArray(value) ? value.join(', ') : String(value);
  }
}

function inspectionOf(doc: InspectionDoc): ReportInspection {
  const questions = doc.template?.sections ? questionsOf(doc.template) : [];
  const answers: ReportAnswer[] = [];
  for (const question of questions) {
    const value = doc.answers?.[question.id];
    if (!isUnanswered(value))
      answers.push({ label: question.label, value: answerText(question, value) });
  }
  return {
    id: doc._id,
    title: doc.template?.title ?? 'Inspection',
    status: doc.status,
    at: doc.submittedAt ?? doc.startedAt,
    answered: answers.length,
    questions: questions.length,
    answers,
  };
}

function orderOf(doc: OrderDoc): ReportOrder {
  return {
    id: doc._id,
    status: doc.status,
    submittedAt: doc.submittedAt,
    lines: liveLines(doc.lines).length,
    gross: orderTotals(doc.lines).gross,
    currency: doc.currency,
  };
}

function stopOf(input: StopInput): ReportStop {
  const { stop, account } = input;
  const events = [...input.events].sort(byTime((e) => e.occurredAt));
  return {
    id: stop._id,
    seq: stop.seq,
    account: account?.name ?? 'Account not on this device',
    address: account ? addressLine(account.address) : '',
    window: windowLabel(stop.window),
    status: stop.status,
    statusText: statusLabel(stop.status),
    purpose: stop.purpose,
    checkIn: events.find((e) => e.kind === 'check_in')?.occurredAt,
    checkOut: events.find((e) => e.kind === 'check_out')?.occurredAt,
    tasks: input.tasks.map((t) => ({ title: t.title, done: t.done, doneAt: t.doneAt })),
    notes: [...input.notes]
      .sort(byTime((n) => n.createdAt))
      .map((n) => ({ text: n.text, createdAt: n.createdAt })),
    inspections: [...input.inspections].sort(byTime((i) => i.startedAt)).map(inspectionOf),
    orders: [...input.orders].sort(byTime((o) => o._id)).map(orderOf),
    photos: [...input.photos].sort(byTime((p) => p.capturedAt)).map((p) => ({
      id: p._id,
      caption: p.caption,
      capturedAt: p.capturedAt,
      thumb: input.thumbs.get(p._id) ?? null,
    })),
  };
}

function totalsOf(stops: ReportStop[]): ReportTotals {
  const totals: ReportTotals = {
    stops: 0,
    done: 0,
    checkedIn: 0,
    tasksDone: 0,
    tasks: 0,
    notes: 0,
    inspections: 0,
    inspectionsSubmitted: 0,
    orders: 0,
    submittedGross: {},
    photos: 0,
  };
  for (const s of stops) {
    if (s.status !== 'cancelled') totals.stops += 1;
    if (s.status === 'done') totals.done += 1;
    if (s.checkIn) totals.checkedIn += 1;
    totals.tasks += s.tasks.length;
    totals.tasksDone += s.tasks.filter((t) => t.done).length;
    totals.notes += s.notes.length;
    totals.inspections += s.inspections.length;
    totals.inspectionsSubmitted += s.inspections.filter((i) => i.status === 'submitted').length;
    totals.orders += s.orders.length;
    for (const o of s.orders) {
      if (o.status === 'submitted') {
        totals.submittedGross[o.currency] = (totals.submittedGross[o.currency] ?? 0) + o.gross;
      }
    }
    totals.photos += s.photos.length;
  }
  return totals;
}

/** Builds the day's report from what the device holds (pure: same input, same report). */
export function buildDayReport(input: DayInput): DayReport {
  const stops = [...input.stops]
    .sort((a, b) => a.stop.seq - b.stop.seq || (a.stop._id < b.stop._id ? -1 : 1))
    .map(stopOf);
  return {
    date: input.date,
    user: input.user,
    displayName: input.displayName,
    generatedAt: input.generatedAt,
    timeZone: input.timeZone,
    stops,
    totals: totalsOf(stops),
  };
}
