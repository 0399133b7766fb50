import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../domain/errors.js';
import { MAX_QR_IMAGE_BYTES } from './decode.js';

/** Reads a file the operator named; a missing, unreadable or oversized one is their mistake, not a crash. */
export function readOperatorFile(path: string, maxBytes: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InvalidInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (bytes.length > maxBytes) throw new InvalidInputError(`${path} is larger than ${maxBytes} bytes`);
  return bytes;
}

/** The bytes of a QR image file, for `--qr-image` (decoded by the account service). */
export function readQrImageFile(path: string): Buffer {
  return readOperatorFile(path, MAX_QR_IMAGE_BYTES);
}
