/** The end-of-day report (loaded on demand by the report page): collect, build, write. */
export { collectDay, type CollectOptions } from './collect';
export { buildDayReport, moneyText, localTime } from './model';
export type { DayReport, ReportStop, ReportTotals } from './model';
export { reportCsv } from './csv';
export { reportPdf, reportTitle } from './pdf-report';
