/** Words and numbers as the screens show them: local dates and times, windows, statuses, addresses. */
import { STOP_STATUSES, type Address, type StopStatus, type TimeWindow } from '$lib/domain/types';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The device's local calendar date as "YYYY-MM-DD". */
export function localDate(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad2(now.getMonth() + 1)}-${pad2(now.getDate())}`;
}

/** A "YYYY-MM-DD" date as a heading: "Sunday 22 November". */
export function dayHeading(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(y, m - 1, d);
  return `${WEEKDAYS[day.getDay()]} ${d} ${MONTHS[m - 1]}`;
}

/** A "YYYY-MM-DD" date in short form: "Sun 22 Nov". */
export function shortDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(y, m - 1, d);
  return `${WEEKDAYS[day.getDay()].slice(0, 3)} ${d} ${MONTHS[m - 1].slice(0, 3)}`;
}

/** The local time of day of an ISO timestamp, 24-hour "09:12". */
export function clockTime(iso: string): string {
  const t = new Date(iso);
  return `${pad2(t.getHours())}:${pad2(t.getMinutes())}`;
}

/** An ISO timestamp as "09:12" when it is today, else "22 Nov, 09:12". */
export function whenLabel(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (localDate(t) === localDate(now)) return clockTime(iso);
  return `${t.getDate()} ${MONTHS[t.getMonth()].slice(0, 3)}, ${clockTime(iso)}`;
}

/** A time window as "09:00–10:00". */
export function windowLabel(window: TimeWindow): string {
  return `${window.start}–${window.end}`;
}

const STATUS_LABELS: Record<StopStatus, string> = {
  planned: 'Planned',
  en_route: 'On the way',
  arrived: 'Checked in',
  done: 'Done',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
};

/** The status of a stop in words. */
export function statusLabel(status: StopStatus): string {
  return STATUS_LABELS[status];
}

/** A rep's stops counted by status in words, in the order of the day: "16 planned", "3 checked in". */
export function statusCounts(byStatus: Record<StopStatus, number>): string[] {
  return STOP_STATUSES.filter((s) => byStatus[s] > 0).map(
    (s) => `${byStatus[s]} ${statusLabel(s).toLowerCase()}`,
  );
}

/** An address on one line: "12 Main St, Fairview 40110". */
export function addressLine(address: Address): string {
  const place = [address.city, address.postalCode].filter(Boolean).join(' ');
  return [address.street, place, address.region].filter(Boolean).join(', ');
}

/** A link that opens the address in the device's maps app (or Google Maps on the web). */
export function mapsUrl(address: Address): string {
  const query = [addressLine(address), address.country].filter(Boolean).join(', ');
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(query)}`;
}

/** A phone number as a tel: link target (spaces and punctuation removed). */
export function telUrl(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`;
}
