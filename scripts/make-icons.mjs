/**
 * Regenerates the PWA icons (static/icons/*.png, static/favicon.png): an amber map pin on
 * dark slate, drawn with 4x4 supersampling and written as RGBA PNGs with node:zlib only.
 * Run: node scripts/make-icons.mjs
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BG = [0x0f, 0x17, 0x2a];
const PIN = [0xf5, 0x9e, 0x0b];
const C = { x: 0.5, y: 0.4 }; // pin head centre
const R = 0.25; // head radius
const HOLE = 0.1;
const TIP = { x: 0.5, y: 0.84 };
const D = TIP.y - C.y;
const HALF_ANGLE = Math.asin(R / D);
const CHORD = D * Math.cos(HALF_ANGLE) ** 2; // axial reach of the cone before the head takes over

/** 'pin', 'hole' or null for a point in unit coordinates. */
function pinAt(x, y) {
  const dx = x - C.x;
  const dy = y - C.y;
  const r = Math.hypot(dx, dy);
  if (r <= HOLE) return 'hole';
  if (r <= R) return 'pin';
  const ax = TIP.y - y; // distance from the tip along the axis (pointing up)
  if (ax < 0 || ax > CHORD) return null;
  return Math.abs(x - TIP.x) <= ax * Math.tan(HALF_ANGLE) ? 'pin' : null;
}

/** RGBA pixels of one icon; `rounded` keeps transparent corners, `scale` shrinks the pin. */
function draw(size, { rounded, scale }) {
  const px = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sj = 0; sj < n; sj++) {
        for (let si = 0; si < n; si++) {
          const x = (i + (si + 0.5) / n) / size;
          const y = (j + (sj + 0.5) / n) / size;
          if (rounded && !inRoundedSquare(x, y, 0.2)) continue;
          const hit = pinAt(0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale);
          const c = hit === 'pin' ? PIN : BG;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const o = (j * size + i) * 4;
      if (a > 0) {
        px[o] = Math.round(r / a);
        px[o + 1] = Math.round(g / a);
        px[o + 2] = Math.round(b / a);
      }
      px[o + 3] = Math.round((255 * a) / (n * n));
    }
  }
  return px;
}

function inRoundedSquare(x, y, radius) {
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  return Math.hypot(x - cx, y - cy) <= radius;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, pixels) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    pixels.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = new URL('../static/', import.meta.url);
mkdirSync(new URL('icons/', out), { recursive: true });
const icons = [
  ['icons/icon-192.png', 192, { rounded: true, scale: 1 }],
  ['icons/icon-512.png', 512, { rounded: true, scale: 1 }],
  // Maskable: full bleed, pin inside the central 80% safe zone.
  ['icons/maskable-512.png', 512, { rounded: false, scale: 0.72 }],
  ['icons/apple-touch-icon.png', 180, { rounded: false, scale: 0.85 }],
  ['favicon.png', 64, { rounded: true, scale: 1 }],
];
for (const [file, size, options] of icons) {
  writeFileSync(new URL(file, out), png(size, draw(size, options)));
  console.log(`wrote static/${file} (${size}x${size})`);
}
