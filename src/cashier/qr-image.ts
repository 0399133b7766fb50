import { matrixToPng, qrMatrix } from '../qrcode/png.js';

/**
 * The receiving QR code as an inline PNG whose side is a whole number of pixels per module,
 * shown at exactly that size: every module stays a sharp square on any screen (a scaled QR
 * gets uneven modules, which some scanners dislike). About `targetPx` wide, never under 2 px
 * per module.
 */
export function qrImage(content: string, targetPx = 240): { dataUrl: string; size: number } {
  const matrix = qrMatrix(content);
  const scale = Math.max(2, Math.floor(targetPx / matrix.length));
  const png = matrixToPng(matrix, scale, 0);
  return { dataUrl: `data:image/png;base64,${png.toString('base64')}`, size: matrix.length * scale };
}
