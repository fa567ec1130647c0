/** Reads back what Outpost's PDF writer wrote: objects, xref offsets, pages, images and text. */

/** The PDF as a Latin-1 string (one char per byte), so byte offsets are string indexes. */
export function pdfSource(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** WinAnsi bytes 0x80-0x9F that differ from Latin-1 (the ones the tests need). */
const WIN_ANSI_HIGH: Record<number, string> = { 0x80: '€', 0x95: '•', 0x96: '–', 0x97: '—' };

function unescapePdfString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      const code = parseInt(octal[0], 8);
      out += WIN_ANSI_HIGH[code] ?? String.fromCharCode(code);
      i += 3;
    } else {
      out += next;
      i += 1;
    }
  }
  return out;
}

/** Every string shown with Tj, page by page in stream order, decoded from WinAnsi. */
export function pdfTextLines(bytes: Uint8Array): string[] {
  const source = pdfSource(bytes);
  const lines: string[] = [];
  const re = /\(((?:\\.|[^\\)])*)\) Tj/g;
  for (let m = re.exec(source); m; m = re.exec(source)) lines.push(unescapePdfString(m[1]));
  return lines;
}

/** The text of the whole PDF, one shown string per line. */
export function pdfText(bytes: Uint8Array): string {
  return pdfTextLines(bytes).join('\n');
}

/** Checks the cross-reference table: every entry points at "<n> 0 obj". Returns problems found. */
export function xrefProblems(bytes: Uint8Array): string[] {
  const source = pdfSource(bytes);
  const problems: string[] = [];
  const start = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(source)?.[1] ?? NaN);
  if (!source.startsWith('xref\n', start)) return [`startxref ${start} does not point at xref`];
  const head = /^xref\n0 (\d+)\n/.exec(source.slice(start));
  const count = Number(head?.[1] ?? 0);
  const table = source.slice(start + (head?.[0].length ?? 0));
  for (let id = 1; id < count; id += 1) {
    const entry = table.slice(id * 20, id * 20 + 20);
    if (!/^\d{10} 00000 n \n$/.test(entry)) {
      problems.push(`entry ${id} is malformed: ${JSON.stringify(entry)}`);
      continue;
    }
    const offset = Number(entry.slice(0, 10));
    if (!source.startsWith(`${id} 0 obj\n`, offset)) problems.push(`object ${id} not at ${offset}`);
  }
  const size = Number(/\/Size (\d+)/.exec(source.slice(start))?.[1]);
  if (size !== count) problems.push(`trailer /Size ${size} but xref has ${count}`);
  return problems;
}

/** Number of page objects, and the page tree's /Count. */
export function pdfPageCount(bytes: Uint8Array): { pages: number; count: number } {
  const source = pdfSource(bytes);
  return {
    pages: (source.match(/\/Type \/Page /g) ?? []).length,
    count: Number(/\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+)/.exec(source)?.[1]),
  };
}

/** Number of image XObjects embedded with DCTDecode. */
export function pdfImageCount(bytes: Uint8Array): number {
  return (pdfSource(bytes).match(/\/Subtype \/Image [^>]*\/Filter \/DCTDecode/g) ?? []).length;
}

/** A tiny JPEG header (SOI, APP0, SOF0, EOI) of the given size: enough for the PDF writer. */
export function fakeJpeg(width: number, height: number, components = 3): Uint8Array {
  const sof = [
    0xff,
    0xc0,
    0x00,
    8 + 3 * components,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    components,
  ];
  for (let c = 1; c <= components; c += 1) sof.push(c, 0x11, 0x00);
  return Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0x00,
    0x10,
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x00,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00,
    ...sof,
    0xff,
    0xd9,
  ]);
}
