import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/random.js';
import { nextAttemptAt } from '../../src/domain/retry-schedule.js';
import {
  answerError,
  answerSnippet,
  isSuccessfulAnswer,
  MAX_ANSWER_BYTES,
  SNIPPET_BYTES,
  storableText,
} from '../../src/notify/answer.js';
import { describeNetworkError } from '../../src/notify/deliver.js';

describe('success rules', () => {
  it('trimmed-success: a 2xx answer whose trimmed body is "success" in any case', () => {
    for (const body of ['success', 'SUCCESS', ' Success\n', '\r\n\tsuccess  ', '\uFEFFsuccess']) {
      expect(isSuccessfulAnswer('trimmed-success', 200, body)).toBe(true);
    }
    expect(isSuccessfulAnswer('trimmed-success', 204, 'success')).toBe(true);
    for (const body of ['fail', '', 'success!', 'successful', '<p>success</p>', 'ok', 'su ccess']) {
      expect(isSuccessfulAnswer('trimmed-success', 200, body)).toBe(false);
    }
    for (const status of [301, 302, 400, 404, 500, 503]) {
      expect(isSuccessfulAnswer('trimmed-success', status, 'success')).toBe(false);
    }
  });

  it('trimmed-success: NUL around "success" is trimmed too, as PHP trim() does', () => {
    for (const body of ['success\0', '\0success', ' success\0\n', 'SUCCESS\0\0']) {
      expect(isSuccessfulAnswer('trimmed-success', 200, body)).toBe(true);
    }
    expect(isSuccessfulAnswer('trimmed-success', 200, 'succ\0ess')).toBe(false);
    expect(isSuccessfulAnswer('trimmed-success', 200, '\0')).toBe(false);
  });

  it('contains-success: "success" anywhere in any case, whatever the status', () => {
    expect(isSuccessfulAnswer('contains-success', 200, '<html><body>SUCCESS</body></html>')).toBe(true);
    expect(isSuccessfulAnswer('contains-success', 500, 'ok success')).toBe(true);
    expect(isSuccessfulAnswer('contains-success', 200, 'fail')).toBe(false);
    expect(isSuccessfulAnswer('contains-success', 200, '')).toBe(false);
  });

  it('exact-success: a 2xx answer that is exactly "success"', () => {
    expect(isSuccessfulAnswer('exact-success', 200, 'success')).toBe(true);
    expect(isSuccessfulAnswer('exact-success', 200, 'success\n')).toBe(false);
    expect(isSuccessfulAnswer('exact-success', 200, 'SUCCESS')).toBe(false);
    expect(isSuccessfulAnswer('exact-success', 500, 'success')).toBe(false);
  });

  it('accepts nothing under an unknown rule', () => {
    expect(isSuccessfulAnswer('whatever', 200, 'success')).toBe(false);
  });

  it('explains a rejected answer', () => {
    expect(answerError(302, '')).toBe('redirect 302 not followed');
    expect(answerError(500, 'oops')).toBe('HTTP 500');
    expect(answerError(200, 'fail')).toBe('answer "fail" is not "success"');
    expect(answerError(200, '  ')).toBe('empty answer, expected "success"');
  });
});

describe('answer snippet', () => {
  it('keeps an answer shorter than 2 KiB whole', () => {
    expect(answerSnippet(Buffer.from('success'))).toBe('success');
    expect(answerSnippet(Buffer.alloc(0))).toBe('');
  });

  it('keeps the first 2 KiB of a longer answer', () => {
    const s = answerSnippet(Buffer.from('x'.repeat(5000)));
    expect(s).toBe('x'.repeat(SNIPPET_BYTES));
    expect(SNIPPET_BYTES).toBe(2048);
    expect(MAX_ANSWER_BYTES).toBe(65536);
  });

  it('drops a multi-byte character cut at the 2 KiB edge instead of mangling it', () => {
    // 2047 ASCII bytes, then "成" (3 bytes) straddling the limit.
    const s = answerSnippet(Buffer.from(`${'a'.repeat(2047)}成功`));
    expect(s).toBe('a'.repeat(2047));
    expect(s).not.toContain('\uFFFD');
    const whole = answerSnippet(Buffer.from(`${'a'.repeat(2045)}成功`));
    expect(whole).toBe(`${'a'.repeat(2045)}成`);
  });
});

describe('text stored from an answer', () => {
  it('replaces NUL, which PostgreSQL text cannot hold, with U+FFFD', () => {
    expect(storableText('success\0')).toBe('success\uFFFD');
    expect(storableText('\0a\0')).toBe('\uFFFDa\uFFFD');
    expect(storableText('成功 ok')).toBe('成功 ok');
  });

  it('stays within the byte cap after replacing, dropping a character cut at the edge', () => {
    // 2048 invalid bytes decode to 2048 three-byte U+FFFD: 682 of them fit in 2 KiB.
    const decoded = answerSnippet(Buffer.alloc(SNIPPET_BYTES, 0xff));
    expect(Buffer.byteLength(decoded)).toBe(3 * SNIPPET_BYTES);
    expect(storableText(decoded)).toBe('\uFFFD'.repeat(682));
    expect(storableText('\0'.repeat(10), 7)).toBe('\uFFFD\uFFFD');
    expect(storableText('x'.repeat(SNIPPET_BYTES))).toBe('x'.repeat(SNIPPET_BYTES));
  });
});

describe('retry timing', () => {
  it('waits the scheduled delay ±20 % after each failed attempt, then gives up', () => {
    const schedule = [2, 5, 15];
    const now = 1_700_000_000_000;
    const random = seededRandom(7);
    for (let attempt = 1; attempt <= 3; attempt++) {
      for (let i = 0; i < 50; i++) {
        const at = nextAttemptAt(now, attempt, schedule, random) as number;
        const base = (schedule[attempt - 1] as number) * 1000;
        expect(at - now).toBeGreaterThanOrEqual(base * 0.8);
        expect(at - now).toBeLessThanOrEqual(base * 1.2);
      }
    }
    expect(nextAttemptAt(now, 4, schedule, random)).toBeNull();
    // The extremes of the random source are the extremes of the jitter.
    expect(nextAttemptAt(now, 1, schedule, () => 0)).toBe(now + 1600);
    expect(nextAttemptAt(now, 1, schedule, () => 0.5)).toBe(now + 2000);
  });
});

describe('network errors as attempt errors', () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('names what went wrong in a few words', () => {
    expect(describeNetworkError(coded('ECONNREFUSED'), 3000)).toBe('connection refused');
    expect(describeNetworkError(coded('UND_ERR_CONNECT_TIMEOUT'), 3000)).toBe(
      'connect timeout after 3000 ms',
    );
    expect(describeNetworkError(coded('ECONNRESET', 'read ECONNRESET'), 3000)).toBe(
      'connection reset (read ECONNRESET)',
    );
    expect(describeNetworkError(coded('ENOTFOUND'), 3000)).toBe('DNS: cannot resolve host (ENOTFOUND)');
    // Causes wrapped by undici or by happy-eyeballs are unwrapped.
    const wrapped = Object.assign(new Error('fetch failed'), { cause: coded('ECONNREFUSED') });
    expect(describeNetworkError(wrapped, 3000)).toBe('connection refused');
    const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'all failed');
    expect(describeNetworkError(aggregate, 3000)).toBe('connection refused');
  });
});
