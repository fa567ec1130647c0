/** Saves data as a file on the device through a temporary Blob link (works offline). */

/** Downloads `data` as pretty-printed JSON named `filename`. */
export function downloadJson(filename: string, data: unknown): void {
  downloadBlob(filename, new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
}

/** Downloads a Blob (a PDF, a CSV, ...) as a file named `filename`. */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Some browsers read the Blob after click() returns: let go of it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "outpost-ana-2026-11-22-0942.json": who and when, sortable. */
export function exportFileName(user: string, now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `outpost-${user}-${day}-${pad(now.getHours())}${pad(now.getMinutes())}.json`;
}
