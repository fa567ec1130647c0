/** Money and tax rates as the order screens show them (the device's locale, Intl formats). */

const formats = new Map<string, Intl.NumberFormat>();

/** An amount in cents as local currency text, e.g. 123456 USD -> "$1,234.56". */
export function money(cents: number, currency: string): string {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format.format(cents / 100);
}

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });

/** A tax rate in basis points as a percentage, e.g. 600 -> "6%". */
export function taxRateLabel(basisPoints: number): string {
  return percent.format(basisPoints / 10_000);
}
