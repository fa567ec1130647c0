/**
 * Text for the PDF's standard Helvetica fonts: Unicode to WinAnsiEncoding bytes (what the 14
 * standard fonts can show without embedding) and the width of a line, for wrapping.
 */

/** WinAnsi's 0x80-0x9F block, where it differs from Latin-1. */
const HIGH: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

const QUESTION = 0x3f;

/** The WinAnsi byte of one character; '?' for what the encoding cannot show. */
function winAnsiByte(ch: string): number {
  const code = ch.codePointAt(0) ?? QUESTION;
  if (code === 0x09 || code === 0x0a || code === 0x0d) return 0x20;
  if (code >= 0x20 && code <= 0x7e) return code;
  if (code >= 0xa0 && code <= 0xff) return code;
  return HIGH[ch] ?? QUESTION;
}

/** Encodes text as WinAnsi bytes (composed first, so "é" typed as e + accent still shows). */
export function encodeWinAnsi(text: string): Uint8Array {
  const chars = Array.from(text.normalize('NFC'));
  return Uint8Array.from(chars, winAnsiByte);
}

/** Helvetica advance widths (1/1000 em) of ASCII 0x20-0x7E, from the standard font metrics. */
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
  611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
  667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
  222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** Bold Helvetica is a little wider; wrapping uses this upper bound so lines never overflow. */
const BOLD_FACTOR = 1.1;
const DEFAULT_WIDTH = 556;
const WIDE: Record<string, number> = { '—': 1000, '…': 1000, '€': 556, '•': 350, '–': 556 };

function charWidth(ch: string): number {
  const base = ch.normalize('NFD')[0] ?? ch;
  const code = base.codePointAt(0) ?? 0;
  if (code >= 0x20 && code <= 0x7e) return ASCII_WIDTHS[code - 0x20];
  return WIDE[ch] ?? DEFAULT_WIDTH;
}

/** The width of `text` in points at `size` (bold: an upper bound). */
export function textWidth(text: string, size: number, bold = false): number {
  let units = 0;
  for (const ch of text.normalize('NFC')) units += charWidth(ch);
  return (units * size * (bold ? BOLD_FACTOR : 1)) / 1000;
}

/** Splits text into lines no wider than `width` points, breaking at spaces (or inside long words). */
export function wrapText(text: string, width: number, size: number, bold = false): string[] {
  const lines: string[] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (textWidth(candidate, size, bold) <= width) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      // A word wider than the line is cut where it has to be.
      let rest = word;
      while (textWidth(rest, size, bold) > width) {
        let cut = rest.length - 1;
        while (cut > 1 && textWidth(rest.slice(0, cut), size, bold) > width) cut -= 1;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}
