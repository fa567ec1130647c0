/** The device's time zone in words, for reports that show local clock times. */

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The device's offset from UTC at `at` as "UTC+01:00" (DST-aware). */
export function utcOffsetLabel(at: Date): string {
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** "Europe/Paris, UTC+01:00" (or only the offset when the browser names no zone). */
export function timeZoneLabel(at: Date): string {
  let zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    zone = '';
  }
  const offset = utcOffsetLabel(at);
  return zone ? `${zone}, ${offset}` : offset;
}
