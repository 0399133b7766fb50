import { describe, expect, it } from 'vitest';
import {
  type AccountRules,
  checkRules,
  DAY_MS,
  formatTimeOfDay,
  minuteOfLocalDay,
  parseTimeOfDay,
  startOfLocalDay,
} from '../../src/domain/rules.js';

const none: AccountRules = {
  windowStart: null,
  windowEnd: null,
  minCents: null,
  maxCents: null,
  dailyCapCents: null,
};
const rules = (r: Partial<AccountRules>): AccountRules => ({ ...none, ...r });

describe('checkRules', () => {
  it('passes everything when the account has no rules', () => {
    expect(checkRules(none, 1, 0, 0)).toBe('ok');
    expect(checkRules(none, 1_000_000_000, 1439, 1_000_000_000)).toBe('ok');
  });

  it('takes orders inside a daytime window, start included and end excluded', () => {
    const day = rules({ windowStart: 540, windowEnd: 1080 }); // 09:00–18:00
    expect(checkRules(day, 100, 539, 0)).toBe('outside-window');
    expect(checkRules(day, 100, 540, 0)).toBe('ok');
    expect(checkRules(day, 100, 1079, 0)).toBe('ok');
    expect(checkRules(day, 100, 1080, 0)).toBe('outside-window');
    expect(checkRules(day, 100, 0, 0)).toBe('outside-window');
  });

  it('handles a window that wraps midnight (22:00–02:00)', () => {
    const night = rules({ windowStart: 1320, windowEnd: 120 });
    expect(checkRules(night, 100, 1319, 0)).toBe('outside-window');
    expect(checkRules(night, 100, 1320, 0)).toBe('ok');
    expect(checkRules(night, 100, 1439, 0)).toBe('ok');
    expect(checkRules(night, 100, 0, 0)).toBe('ok');
    expect(checkRules(night, 100, 119, 0)).toBe('ok');
    expect(checkRules(night, 100, 120, 0)).toBe('outside-window');
    expect(checkRules(night, 100, 720, 0)).toBe('outside-window');
  });

  it('treats a window whose start equals its end, or with one side unset, as always open', () => {
    expect(checkRules(rules({ windowStart: 600, windowEnd: 600 }), 100, 0, 0)).toBe('ok');
    expect(checkRules(rules({ windowStart: 600, windowEnd: null }), 100, 0, 0)).toBe('ok');
  });

  it('refuses amounts below the minimum or above the maximum, bounds included', () => {
    const r = rules({ minCents: 100, maxCents: 5000 });
    expect(checkRules(r, 99, 0, 0)).toBe('below-min');
    expect(checkRules(r, 100, 0, 0)).toBe('ok');
    expect(checkRules(r, 5000, 0, 0)).toBe('ok');
    expect(checkRules(r, 5001, 0, 0)).toBe('above-max');
  });

  it('refuses an order that would take the day past the daily cap', () => {
    const r = rules({ dailyCapCents: 10_000 });
    expect(checkRules(r, 1000, 0, 9000)).toBe('ok');
    expect(checkRules(r, 1001, 0, 9000)).toBe('daily-cap');
    expect(checkRules(r, 1, 0, 10_000)).toBe('daily-cap');
  });

  it('reports the window before the amount rules', () => {
    const r = rules({ windowStart: 540, windowEnd: 1080, minCents: 100 });
    expect(checkRules(r, 1, 0, 0)).toBe('outside-window');
  });
});

describe('time of day', () => {
  it.each([
    ['09:30', 570],
    ['9:30', 570],
    ['00:00', 0],
    ['23:59', 1439],
  ])('parses %j as minute %i', (text, minute) => {
    expect(parseTimeOfDay(text)).toBe(minute);
  });

  it.each(['24:00', '12:60', '', '1230', '12:5', 'noon', ' 09:30'])('refuses %j', (text) => {
    expect(parseTimeOfDay(text)).toBeNull();
  });

  it('formats minutes with two-digit hours and minutes', () => {
    expect(formatTimeOfDay(570)).toBe('09:30');
    expect(formatTimeOfDay(0)).toBe('00:00');
    expect(formatTimeOfDay(1439)).toBe('23:59');
  });
});

describe('business day in China Standard Time (+08:00)', () => {
  const CST = 480;

  it('starts the day at 16:00 UTC of the previous calendar day', () => {
    expect(startOfLocalDay(Date.parse('2024-01-01T15:59:59Z'), CST)).toBe(Date.parse('2023-12-31T16:00:00Z'));
    expect(startOfLocalDay(Date.parse('2024-01-01T16:00:00Z'), CST)).toBe(Date.parse('2024-01-01T16:00:00Z'));
  });

  it('counts minutes from local midnight', () => {
    expect(minuteOfLocalDay(Date.parse('2024-01-01T01:30:00Z'), CST)).toBe(570);
    expect(minuteOfLocalDay(Date.parse('2024-01-01T16:00:00Z'), CST)).toBe(0);
    expect(minuteOfLocalDay(Date.parse('2024-01-01T15:59:00Z'), CST)).toBe(1439);
  });

  it('has days one DAY_MS apart', () => {
    const t = Date.parse('2024-06-01T12:00:00Z');
    expect(startOfLocalDay(t + DAY_MS, CST) - startOfLocalDay(t, CST)).toBe(DAY_MS);
  });
});
