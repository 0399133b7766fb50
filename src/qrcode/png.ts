import { crc32, deflateSync } from 'node:zlib';
import encodeQR from 'qr';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/**
 * Writes a 1-bit grayscale PNG of a module matrix (`true` = dark), each module `scale` pixels,
 * with a `border`-module quiet zone. Small (a few hundred bytes) and fast: one deflate call.
 */
export function matrixToPng(matrix: boolean[][], scale: number, border: number): Buffer {
  const modules = matrix.length;
  const side = (modules + border * 2) * scale;
  const rowBytes = Math.ceil(side / 8);
  const raw = Buffer.alloc((rowBytes + 1) * side, 0);
  // Start white (bit 1 = white in grayscale), then clear the dark modules.
  for (let y = 0; y < side; y++) raw.fill(0xff, y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
  for (let my = 0; my < modules; my++) {
    const row = matrix[my] as boolean[];
    for (let mx = 0; mx < modules; mx++) {
      if (!row[mx]) continue;
      const x0 = (mx + border) * scale;
      for (let dy = 0; dy < scale; dy++) {
        const base = ((my + border) * scale + dy) * (rowBytes + 1) + 1;
        for (let x = x0; x < x0 + scale; x++) {
          const i = base + (x >> 3);
          raw[i] = (raw[i] as number) & ~(0x80 >> (x & 7));
        }
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The module matrix with a 2-module quiet zone. */
export function qrMatrix(text: string): boolean[][] {
  return encodeQR(text, 'raw', { ecc: 'medium', border: 2 });
}

/** A QR code as PNG, about `sizePx` wide (whole pixels per module, never below 1). */
export function qrPng(text: string, sizePx = 200): Buffer {
  const matrix = qrMatrix(text);
  const scale = Math.max(1, Math.floor(sizePx / matrix.length));
  return matrixToPng(matrix, scale, 0);
}

export function qrPngDataUrl(text: string, sizePx = 200): string {
  return `data:image/png;base64,${qrPng(text, sizePx).toString('base64')}`;
}
