/**
 * The day report for the screens: loads the report code on demand (a dynamic import keeps it out
 * of the app shell), builds the report from the local database and downloads it as PDF or CSV.
 * Everything happens on the device; no network.
 */
import type { DayReport } from '$lib/report';
import { downloadBlob } from './download';
import type { Session } from './session.svelte';

const loadReportCode = () => import('$lib/report');

/** The day's report for the session's user, thumbnails included. */
export async function loadDayReport(session: Session, date: string): Promise<DayReport> {
  const { buildDayReport, collectDay } = await loadReportCode();
  const input = await collectDay(session.repo, date, { displayName: session.displayName });
  return buildDayReport(input);
}

/** "outpost-report-ana-2026-11-22.pdf". */
export function reportFileName(report: DayReport, extension: 'pdf' | 'csv'): string {
  return `outpost-report-${report.user}-${report.date}.${extension}`;
}

/** Writes the report as PDF and hands it to the browser as a download. */
export async function downloadReportPdf(report: DayReport): Promise<void> {
  const { reportPdf } = await loadReportCode();
  const bytes = reportPdf(report);
  const blob = new Blob([bytes.slice()], { type: 'application/pdf' });
  downloadBlob(reportFileName(report, 'pdf'), blob);
}

/** Writes the report as CSV (UTF-8 with BOM) and hands it to the browser as a download. */
export async function downloadReportCsv(report: DayReport): Promise<void> {
  const { reportCsv } = await loadReportCode();
  downloadBlob(reportFileName(report, 'csv'), new Blob([reportCsv(report)], { type: 'text/csv' }));
}
