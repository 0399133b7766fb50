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
  const stride = Math.ceil(side / 8) + 1; // filter byte + packed pixels
  // Grayscale 1-bit: 1 = white. Start all white (filter bytes 0 are set per row below).
  const raw = Buffer.alloc(stride * side, 0xff);
  const row = Buffer.alloc(stride);
  for (let my = 0; my < modules; my++) {
    // Build one pixel row for this module row, then repeat it `scale` times.
    row.fill(0xff);
    row[0] = 0;
    const cells = matrix[my] as boolean[];
    for (let mx = 0; mx < modules; mx++) {
      if (!cells[mx]) continue;
      const x0 = (mx + border) * scale;
      for (let x = x0; x < x0 + scale; x++) {
        const i = 1 + (x >> 3);
        row[i] = (row[i] as number) & ~(0x80 >> (x & 7));
      }
    }
    const y0 = (my + border) * scale;
    for (let dy = 0; dy < scale; dy++) row.copy(raw, (y0 + dy) * stride);
  }
  for (let y = 0; y < side; y++) raw[y * stride] = 0;
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

/** Thrown by `qr` when the text needs more than version 40 at our error correction level. */
export function isCapacityOverflow(err: unknown): boolean {
  return err instanceof Error && err.message === 'Capacity overflow';
}

/**
 * True when `text` can be drawn as a QR code at the level the gateway draws (medium error
 * correction, at most version 40: 2,331 bytes of UTF-8, more for digits or upper-case text).
 * Checked where text comes in, so drawing it later cannot fail.
 */
export function fitsInQr(text: string): boolean {
  try {
    qrMatrix(text);
    return true;
  } catch (err) {
    if (isCapacityOverflow(err)) return false;
    throw err;
  }
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
