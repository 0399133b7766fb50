import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/domain/errors.js';

describe('error catalogue', () => {
  it('lists exactly the codes and messages of docs/merchant-api.md', () => {
    const doc = readFileSync(new URL('../docs/merchant-api.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Error codes'));
    const rows = [...table.matchAll(/^\|\s*(\d{3})\s*\|([^|]+)\|([^|]+)\|$/gm)].map((m) => [
      Number(m[1]),
      { zh: m[2]?.trim(), en: m[3]?.trim() },
    ]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_CATALOGUE);
  });

  it('covers every code of the upstream spec table', () => {
    const spec = new URL('../../shared/spec/merchant-api.md', import.meta.url);
    let text: string;
    try {
      text = readFileSync(spec, 'utf8');
    } catch {
      // A clone without the shared folder beside it: the docs table above is the contract.
      text = readFileSync(new URL('../docs/merchant-api.md', import.meta.url), 'utf8');
    }
    const codes = [...text.matchAll(/^\|\s*(\d{3})\s*\|/gm)].map((m) => Number(m[1]));
    expect(codes.length).toBeGreaterThan(15);
    expect(new Set(codes)).toEqual(new Set(Object.keys(ERROR_CATALOGUE).map(Number)));
  });
});
