import { describe, expect, it, vi } from 'vitest';

// Wraps the real timingSafeEqual so a test can see that comparisons go through it.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const crypto = await import('node:crypto');
const { hmacHex, md5, signaturesEqual, webhookSignature } = await import('../../src/domain/sign.js');
const { CREATE_SIGNED_FIELDS, gatepaySign, notifySign, returnSign } =
  await import('../../src/protocols/gatepay/gatepay-sign.js');
const helper = await import('../helpers/gatepay.js');

// Every expected value below was computed once outside Node, with coreutils and openssl:
//   m() { printf '%s' "$1" | md5sum | cut -d' ' -f1; }; m "$(m "${AK}…")$SK"
//   printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64
const AK = 'ak_test_0001';
const SK = 'sec_Shouyin_42';

describe('md5', () => {
  it('matches the RFC 1321 vector for "abc"', () => {
    expect(md5('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});

describe('gatepaySign', () => {
  it('signs create fields as md5(md5(appkey + fields) + appsecret)', () => {
    expect(gatepaySign(AK, ['10.00', 'alipay', 'ORD-1', 'user@example.com'], SK)).toBe(
      'f4770e1889b13e7c3fce4255025ac07e',
    );
  });

  it('hashes non-ASCII fields as UTF-8', () => {
    expect(gatepaySign(AK, ['10', 'alipay', 'ORD-2', '张三 🧧'], SK)).toBe(
      '1469dc3e05dc948e31584c8738918288',
    );
  });

  it('signs the appkey alone when there are no fields (product/show)', () => {
    expect(gatepaySign(AK, [], SK)).toBe('1b7e5cee454b212f7197b1ee579937d1');
  });

  it('signs findOrder over appkey + out_order_id', () => {
    expect(gatepaySign(AK, ['ORD-1'], SK)).toBe('dc716afdc6113ea55c388dcce341ac3b');
  });

  it('agrees with the independent test helper', () => {
    expect(helper.sign(AK, ['10.00', 'alipay', 'ORD-1', 'user@example.com'], SK)).toBe(
      'f4770e1889b13e7c3fce4255025ac07e',
    );
  });
});

describe('notifySign', () => {
  it('signs spec §2 fields in the spec order, whatever order the object lists them', () => {
    const p = {
      extend: 'user@example.com',
      paytime: '1556614384',
      type: 'alipay',
      realprice: '9.99',
      price: '10.00',
      out_order_id: 'ORD-1',
      order_id: '522',
    };
    expect(notifySign(AK, p, SK)).toBe('c95c9af3443a5b503a38f8383015b2ec');
  });
});

describe('returnSign', () => {
  it('signs spec §3 fields: price, type, product_id, order_id, out_order_id', () => {
    const p = { out_order_id: 'ORD-1', order_id: '522', product_id: '0', type: 'alipay', price: '10.00' };
    expect(returnSign(AK, p, SK)).toBe('f4532f9904ba691c8505f387ece27d6b');
  });
});

describe('webhookSignature', () => {
  it('is v1, + base64 HMAC-SHA256 of id.timestamp.body', () => {
    expect(webhookSignature('whsec_test', 'msg_abc', 1_700_000_000, 'order_id=1&price=10.00')).toBe(
      'v1,2qy09hfus5oZPinOAoX6SOFcYi5DjpUHygiV+AeedNI=',
    );
  });

  it('keys with the secret as UTF-8 and hashes a UTF-8 body', () => {
    expect(webhookSignature(SK, 'msg_2ZH', 1_556_614_384, '{"a":"张三"}')).toBe(
      'v1,Slr5fS+SYuWIQUgh5hEmkcUaUQhcWY5pz79nNez+HDo=',
    );
  });
});

describe('hmacHex', () => {
  it('is hex HMAC-SHA256', () => {
    // printf '%s' 'what do ya want for nothing?' | openssl dgst -sha256 -hmac Jefe  (RFC 4231 case 2)
    expect(hmacHex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('signaturesEqual', () => {
  const sig = 'f4770e1889b13e7c3fce4255025ac07e';

  it('accepts the same signature', () => {
    expect(signaturesEqual(sig, sig)).toBe(true);
  });

  it('ignores the case of the hex digits', () => {
    expect(signaturesEqual(sig.toUpperCase(), sig)).toBe(true);
    expect(signaturesEqual(sig, sig.toUpperCase())).toBe(true);
  });

  it('refuses a signature that differs in one digit', () => {
    expect(signaturesEqual(`${sig.slice(0, -1)}f`, sig)).toBe(false);
    expect(signaturesEqual(`0${sig.slice(1)}`, sig)).toBe(false);
  });

  it('refuses signatures of different lengths, including empty and prefixes', () => {
    expect(signaturesEqual(sig.slice(0, 31), sig)).toBe(false);
    expect(signaturesEqual(`${sig}0`, sig)).toBe(false);
    expect(signaturesEqual('', sig)).toBe(false);
  });

  it('compares through crypto.timingSafeEqual, also when the lengths differ', () => {
    const calls = () => vi.mocked(crypto.timingSafeEqual).mock.calls.length;
    const before = calls();
    signaturesEqual(`${sig.slice(0, -1)}f`, sig);
    expect(calls()).toBe(before + 1);
    signaturesEqual('short', sig);
    expect(calls()).toBe(before + 2);
  });
});

describe('CREATE_SIGNED_FIELDS', () => {
  it('lists the signed fields of each create endpoint as the spec table does', () => {
    expect(CREATE_SIGNED_FIELDS).toEqual({
      anypay: ['price', 'type', 'out_order_id', 'custom'],
      cloudpay: ['price', 'type', 'out_order_id', 'custom'],
      stablepay: ['product_id', 'type', 'out_order_id', 'custom'],
      grouppay: ['fields', 'type', 'out_order_id', 'custom'],
    });
  });
});
