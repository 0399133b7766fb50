import { describe, expect, it } from 'vitest';
import {
  formatCents,
  formatCentsPhp,
  MAX_CENTS,
  parseCents,
  parseJavaDoubleCents,
  parsePositiveCents,
} from '../../src/domain/money.js';

describe('parseCents', () => {
  it.each([
    ['10', 1000],
    ['10.2', 1020],
    ['10.23', 1023],
    ['0.01', 1],
    ['0', 0],
    ['0.5', 50],
    ['99.99', 9999],
    ['10000000', MAX_CENTS],
  ])('reads %j as %i cents', (text, cents) => {
    expect(parseCents(text)).toBe(cents);
  });

  it.each([
    '',
    '-1',
    '+1',
    '1.234',
    '1e3',
    'NaN',
    ' 10',
    '10 ',
    '10\n',
    '10.',
    '.5',
    '010',
    '00.5',
    '0x10',
    'Infinity',
    '１０',
    '1,000',
    '10.2.3',
    '10000000.01',
    '99999999.99',
  ])('refuses %j', (text) => {
    expect(parseCents(text)).toBeNull();
  });

  it('gives back every amount formatCents printed, cent for cent', () => {
    for (let cents = 0; cents <= 20_000; cents++) expect(parseCents(formatCents(cents))).toBe(cents);
  });
});

describe('parsePositiveCents', () => {
  it('refuses zero in any spelling and accepts one cent', () => {
    expect(parsePositiveCents('0')).toBeNull();
    expect(parsePositiveCents('0.00')).toBeNull();
    expect(parsePositiveCents('0.01')).toBe(1);
    expect(parsePositiveCents('-0.01')).toBeNull();
  });
});

describe('formatCents', () => {
  it.each([
    [1020, '10.20'],
    [5, '0.05'],
    [0, '0.00'],
    [10, '0.10'],
    [100, '1.00'],
    [999, '9.99'],
    [1023, '10.23'],
    [MAX_CENTS, '10000000.00'],
  ])('prints %i cents as %j', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('throws on %s', (cents) => {
    expect(() => formatCents(cents)).toThrow(RangeError);
  });
});

describe('formatCentsPhp', () => {
  it.each([
    [1000, '10'],
    [1010, '10.1'],
    [1001, '10.01'],
    [1020, '10.2'],
    [5, '0.05'],
    [10, '0.1'],
    [100, '1'],
    [10_000, '100'],
    [100_000, '1000'],
    [0, '0'],
  ])('prints %i cents as PHP prints the float: %j', (cents, text) => {
    expect(formatCentsPhp(cents)).toBe(text);
  });
});

describe('parseJavaDoubleCents', () => {
  it.each([
    ['100.0', 10_000],
    ['10.5', 1050],
    ['10.01', 1001],
    ['0.01', 1],
    ['0.0', 0],
  ])('reads Java %j as %i cents', (text, cents) => {
    expect(parseJavaDoubleCents(text)).toBe(cents);
  });

  it.each(['100', '10.123', '1.0E7', '-1.0', '', '10.', '.5', 'NaN', ' 10.0'])('refuses %j', (text) => {
    expect(parseJavaDoubleCents(text)).toBeNull();
  });
});
