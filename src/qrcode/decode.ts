import jpeg from 'jpeg-js';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import decodeQR from 'qr/decode.js';
import { InvalidInputError } from '../domain/errors.js';

/** Largest upload accepted: a phone screenshot is well below this. */
export const MAX_QR_IMAGE_BYTES = 10 * 1024 * 1024;
/** Largest decoded image, in pixels per side: refuses decompression bombs before decoding. */
const MAX_SIDE = 8000;
const MAX_PIXELS = 40_000_000;

// jsqr is CommonJS whose `module.exports` is the function itself, while its types declare an
// ES default export; take whichever the loader produced.
type JsQR = typeof jsQRModule.default;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function checkSize(width: number, height: number) {
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw new InvalidInputError(`image is ${width}×${height} pixels; at most ${MAX_SIDE} per side`);
  }
}

function readPng(bytes: Buffer): Rgba {
  // IHDR is always the first chunk: width and height sit at bytes 16–23.
  if (bytes.length < 24) throw new InvalidInputError('the PNG image is truncated');
  checkSize(bytes.readUInt32BE(16), bytes.readUInt32BE(20));
  try {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: png.data };
  } catch {
    throw new InvalidInputError('the PNG image cannot be read');
  }
}

function readJpeg(bytes: Buffer): Rgba {
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1_000_000,
      maxMemoryUsageInMB: 512,
    });
    checkSize(img.width, img.height);
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError('the JPEG image cannot be read');
  }
}

/**
 * Reads the QR code in an uploaded PNG or JPEG (a receiving code saved from the Alipay or WeChat
 * app, or a screenshot of it) and returns its content. Called when an account or a fixed-amount
 * code is added from an image. Throws `InvalidInputError` with a message for the operator when
 * the file is not such an image or holds no readable QR code.
 */
export function decodeQrImage(bytes: Buffer): string {
  if (bytes.length === 0) throw new InvalidInputError('the image is empty');
  if (bytes.length > MAX_QR_IMAGE_BYTES) {
    throw new InvalidInputError(`the image is larger than ${MAX_QR_IMAGE_BYTES / 1024 / 1024} MiB`);
  }
  let img: Rgba;
  if (bytes.subarray(0, 8).equals(PNG_MAGIC)) img = readPng(bytes);
  else if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) img = readJpeg(bytes);
  else throw new InvalidInputError('the image must be a PNG or JPEG file');

  let text: string | null;
  try {
    text = decodeQR({ width: img.width, height: img.height, data: img.data });
  } catch {
    // `qr` is fast on clean codes; jsQR is more forgiving of photos, so it gets a second look.
    const found = jsQR(
      new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length),
      img.width,
      img.height,
    );
    text = found?.data ?? null;
  }
  if (text === null || text.trim() === '') {
    throw new InvalidInputError('no QR code found in the image');
  }
  return text.trim();
}
