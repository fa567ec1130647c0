/**
 * A minimal PDF 1.4 writer: pages of Helvetica text (WinAnsi, so accents show), thin lines,
 * grey boxes and JPEG images embedded as they are (DCTDecode). Content streams are left
 * uncompressed so the text can be read back by tests. Coordinates are PDF points from the
 * bottom-left corner of an A4 page.
 */
import { readJpegInfo, type JpegInfo } from './jpeg';
import { encodeWinAnsi } from './winansi';

/** A4 in points. */
export const PAGE = { width: 595.28, height: 841.89 } as const;

/** One drawing operation on a page. */
export type PdfOp =
  | { kind: 'text'; x: number; y: number; size: number; bold?: boolean; text: string }
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; gray?: number }
  | { kind: 'box'; x: number; y: number; width: number; height: number; gray: number }
  | { kind: 'image'; x: number; y: number; width: number; height: number; jpeg: Uint8Array };

/** What the writer is given: pages of operations and the document's title. */
export interface PdfInput {
  title: string;
  author?: string;
  pages: PdfOp[][];
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const num = (n: number) => (Math.round(n * 100) / 100).toString();

/** A PDF literal string of WinAnsi text: ( ) \ escaped, bytes outside printable ASCII in octal. */
export function pdfString(text: string): string {
  let out = '(';
  for (const b of encodeWinAnsi(text)) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out})`;
}

/** A PDF text string for the document information (UTF-16BE with a byte order mark). */
function infoString(text: string): string {
  let hex = 'FEFF';
  for (let i = 0; i < text.length; i += 1) {
    hex += text.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  }
  return `<${hex}>`;
}

const COLOR_SPACE: Record<number, string> = { 1: '/DeviceGray', 3: '/DeviceRGB', 4: '/DeviceCMYK' };

function imageDictionary(info: JpegInfo, length: number): string {
  // Adobe's CMYK JPEGs store inverted values; the Decode array turns them back.
  const decode = info.components === 4 ? ' /Decode [1 0 1 0 1 0 1 0]' : '';
  return (
    `<< /Type /XObject /Subtype /Image /Width ${info.width} /Height ${info.height}` +
    ` /ColorSpace ${COLOR_SPACE[info.components]} /BitsPerComponent 8${decode}` +
    ` /Filter /DCTDecode /Length ${length} >>`
  );
}

/** Builds the PDF file. Images that are not readable JPEGs are drawn as grey boxes instead. */
export function writePdf(input: PdfInput): Uint8Array {
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let size = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    size += bytes.length;
  };
  const object = (id: number, body: string, stream?: Uint8Array) => {
    offsets[id] = size;
    push(ascii(`${id} 0 obj\n${body}\n`));
    if (stream) {
      push(ascii('stream\n'));
      push(stream);
      push(ascii('\nendstream\n'));
    }
    push(ascii('endobj\n'));
  };

  // Fixed objects: 1 catalog, 2 page tree, 3 regular font, 4 bold font, 5 info; then images
  // (one object per distinct JPEG), then a page and its content stream for each page.
  const CATALOG = 1;
  const PAGES = 2;
  const INFO = 5;
  let next = 6;
  const images = new Map<Uint8Array, { id: number; name: string; info: JpegInfo }>();
  for (const page of input.pages) {
    for (const op of page) {
      if (op.kind !== 'image' || images.has(op.jpeg)) continue;
      const info = readJpegInfo(op.jpeg);
      if (info) images.set(op.jpeg, { id: next++, name: `Im${images.size + 1}`, info });
    }
  }
  const pageIds = input.pages.map(() => {
    const ids = { page: next, content: next + 1 };
    next += 2;
    return ids;
  });

  push(ascii('%PDF-1.4\n'));
  push(Uint8Array.from([0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a])); // binary marker comment
  object(CATALOG, `<< /Type /Catalog /Pages ${PAGES} 0 R >>`);
  const kids = pageIds.map((p) => `${p.page} 0 R`).join(' ');
  object(PAGES, `<< /Type /Pages /Kids [${kids}] /Count ${pageIds.length} >>`);
  for (const [id, font] of [
    [3, 'Helvetica'],
    [4, 'Helvetica-Bold'],
  ] as const) {
    object(id, `<< /Type /Font /Subtype /Type1 /BaseFont /${font} /Encoding /WinAnsiEncoding >>`);
  }
  const author = input.author ? ` /Author ${infoString(input.author)}` : '';
  object(INFO, `<< /Title ${infoString(input.title)}${author} /Producer (Outpost) >>`);
  for (const [jpeg, image] of images)
    object(image.id, imageDictionary(image.info, jpeg.length), jpeg);

  input.pages.forEach((ops, index) => {
    const { page, content } = pageIds[index];
    const used = new Map<number, string>();
    const lines: string[] = [];
    for (const op of ops) {
      switch (op.kind) {
        case 'text':
          lines.push(
            `BT /${op.bold ? 'F2' : 'F1'} ${num(op.size)} Tf ${num(op.x)} ${num(op.y)} Td ${pdfString(op.text)} Tj ET`,
          );
          break;
        case 'line':
          lines.push(
            `${num(op.gray ?? 0.6)} G 0.75 w ${num(op.x1)} ${num(op.y1)} m ${num(op.x2)} ${num(op.y2)} l S`,
          );
          break;
        case 'box':
          lines.push(
            `${num(op.gray)} g ${num(op.x)} ${num(op.y)} ${num(op.width)} ${num(op.height)} re f 0 g`,
          );
          break;
        case 'image': {
          const image = images.get(op.jpeg);
          if (!image) {
            lines.push(
              `0.85 g ${num(op.x)} ${num(op.y)} ${num(op.width)} ${num(op.height)} re f 0 g`,
            );
            break;
          }
          used.set(image.id, image.name);
          lines.push(
            `q ${num(op.width)} 0 0 ${num(op.height)} ${num(op.x)} ${num(op.y)} cm /${image.name} Do Q`,
          );
          break;
        }
      }
    }
    const xobjects = [...used].map(([id, name]) => `/${name} ${id} 0 R`).join(' ');
    const resources =
      `<< /Font << /F1 3 0 R /F2 4 0 R >>` +
      (xobjects ? ` /XObject << ${xobjects} >>` : '') +
      ' >>';
    object(
      page,
      `<< /Type /Page /Parent ${PAGES} 0 R /MediaBox [0 0 ${PAGE.width} ${PAGE.height}]` +
        ` /Resources ${resources} /Contents ${content} 0 R >>`,
    );
    const stream = ascii(lines.join('\n'));
    object(content, `<< /Length ${stream.length} >>`, stream);
  });

  const xref = size;
  const count = next;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let id = 1; id < count; id += 1) {
    table += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  }
  table += `trailer\n<< /Size ${count} /Root ${CATALOG} 0 R /Info ${INFO} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  push(ascii(table));

  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
