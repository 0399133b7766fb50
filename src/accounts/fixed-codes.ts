import { InvalidInputError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import { decodeQrImage } from '../qrcode/decode.js';
import { fitsInQr } from '../qrcode/png.js';

/** One fixed-amount QR code to import: buyers scanning it pay exactly `amountCents`. */
export interface FixedCodeEntry {
  amountCents: number;
  content: string;
  /** Where it came from, for messages: `codes.csv:3`, `10.00.png`. */
  source: string;
}

export class FixedCodeParseError extends Error {
  override name = 'FixedCodeParseError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Undoes CSV quoting of one field: `"a ""b"", c"` → `a "b", c`. */
function unquote(field: string): string {
  const f = field.trim();
  if (f.length >= 2 && f.startsWith('"') && f.endsWith('"')) return f.slice(1, -1).replace(/""/g, '"');
  return f;
}

/**
 * Parses an import file of `amount,content` lines (amount as `10`, `10.5` or `10.00`; the content
 * may itself hold commas: everything after the first comma is the content, CSV quotes allowed).
 * Blank lines, `#` comments and an `amount,content` header are skipped. Every bad line is
 * reported at once.
 */
export function parseFixedCodesCsv(text: string, fileName: string): FixedCodeEntry[] {
  const out: FixedCodeEntry[] = [];
  const problems: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `${fileName}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const comma = line.indexOf(',');
    if (comma < 0) {
      problems.push(`${where}: expected "amount,content"`);
      return;
    }
    const amountText = unquote(line.slice(0, comma));
    const content = unquote(line.slice(comma + 1));
    if (i === 0 && amountText.toLowerCase() === 'amount') return;
    const cents = parsePositiveCents(amountText);
    if (cents === null) problems.push(`${where}: "${amountText}" is not a positive amount like 10.00`);
    else if (content === '') problems.push(`${where}: the QR content is empty`);
    else if (content.length > 2000) problems.push(`${where}: the QR content is longer than 2000 characters`);
    else out.push({ amountCents: cents, content, source: where });
  });
  if (problems.length > 0) throw new FixedCodeParseError(problems);
  return out;
}

/**
 * The amount a QR image's file name stands for: `10.00.png`, `10.5.jpg`, `10.jpeg` → cents;
 * null when the name (without folders and extension) is not an amount.
 */
export function amountFromFileName(fileName: string): number | null {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const m = /^(.+)\.(png|jpe?g)$/i.exec(base);
  return m ? parsePositiveCents(m[1] as string) : null;
}

/**
 * A fixed-amount code from an uploaded image (CLI file or console upload): the QR content is
 * decoded here; the amount is given, or read from the file name (`10.00.png`).
 */
export function fixedCodeFromImage(fileName: string, bytes: Buffer, amountCents?: number): FixedCodeEntry {
  const cents = amountCents ?? amountFromFileName(fileName);
  if (cents === null) throw new InvalidInputError('name the image by its amount, like 10.00.png');
  return {
    amountCents: cents,
    content: decodeQrImage(bytes),
    source: fileName.split(/[\\/]/).pop() ?? fileName,
  };
}

/** Why a QR content is refused: too long to draw at the cashier's error-correction level. */
export function qrTooLongMessage(what: string, content: string): string {
  const bytes = Buffer.byteLength(content, 'utf8');
  return `${what} is too long to draw as a QR code (${bytes} bytes of UTF-8; one holds at most 2331)`;
}

/**
 * Rejects codes the cashier could not draw again (a scanned code may use a lower error-correction
 * level than ours and hold more), naming every one; nothing is imported then.
 */
export function checkDrawable(entries: readonly FixedCodeEntry[]): void {
  const bad = entries.filter((e) => !fitsInQr(e.content));
  if (bad.length > 0) {
    throw new InvalidInputError(
      bad.map((e) => qrTooLongMessage(`${e.source}: the QR content`, e.content)).join('\n'),
    );
  }
}

/** Rejects two different codes for one amount within one import. */
export function checkNoConflicts(entries: readonly FixedCodeEntry[]): void {
  const seen = new Map<number, FixedCodeEntry>();
  const problems: string[] = [];
  for (const e of entries) {
    const prior = seen.get(e.amountCents);
    if (prior && prior.content !== e.content) {
      problems.push(`${e.source}: ${formatCents(e.amountCents)} already has another code (${prior.source})`);
    }
    seen.set(e.amountCents, e);
  }
  if (problems.length > 0) throw new FixedCodeParseError(problems);
}

/** One uploaded file of a fixed-code import (console): a CSV of `amount,content` lines, or a QR image. */
export interface FixedCodeUpload {
  name: string;
  bytes: Buffer;
  /** For an image: the amount it is for, when its file name does not say (`10.00.png`). */
  amountCents?: number;
}

/**
 * Turns uploaded files into fixed-code entries: `.csv`/`.txt` files are parsed, `.png`/`.jpg`
 * images decoded (amount given, or from the file name). Every problem of every file is named at
 * once, in one `InvalidInputError`, and then nothing is imported.
 */
export function fixedCodesFromUploads(uploads: readonly FixedCodeUpload[]): FixedCodeEntry[] {
  const entries: FixedCodeEntry[] = [];
  const problems: string[] = [];
  for (const u of uploads) {
    const name = u.name.split(/[\\/]/).pop() ?? u.name;
    try {
      if (/\.(csv|txt)$/i.test(name)) {
        entries.push(...parseFixedCodesCsv(u.bytes.toString('utf8'), name));
      } else if (/\.(png|jpe?g)$/i.test(name)) {
        entries.push(fixedCodeFromImage(name, u.bytes, u.amountCents));
      } else {
        problems.push(`${name}: expected a .csv file or .png/.jpg images`);
      }
    } catch (err) {
      if (err instanceof FixedCodeParseError) problems.push(...err.problems);
      else if (err instanceof InvalidInputError) problems.push(`${name}: ${err.message}`);
      else throw err;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(`nothing imported: ${problems.join('; ')}`);
  return entries;
}
