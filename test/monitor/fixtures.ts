import { vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Services } from '../../src/services.js';
import { createParams, postForm } from '../helpers/gatepay.js';

export interface TestMerchant {
  id: number;
  appkey: string;
  appsecret: string;
}

export async function addMerchant(services: Services, settings: { allowOffline?: boolean } = {}) {
  const m = await services.merchants.add({
    name: 'Shop',
    notifyUrl: 'http://127.0.0.1:9/notify',
    returnUrl: 'http://127.0.0.1:9/return',
  });
  if (settings.allowOffline !== undefined) await services.merchants.set(m.id, settings);
  return m;
}

export async function addAccount(
  services: Services,
  merchantId: number,
  type: 'alipay' | 'wechat',
  name: string = type,
) {
  return services.accounts.add({ merchantId, type, name, qrContent: `https://qr.example/${type}/${name}` });
}

/** Creates an order over the GatePay API, as a merchant's site would. */
export async function createOrder(
  baseUrl: string,
  m: TestMerchant,
  p: { price: string; type: 'alipay' | 'wechat'; out: string },
) {
  const r = await postForm(
    `${baseUrl}/api/anypay/create`,
    createParams(m, { price: p.price, type: p.type, out_order_id: p.out, custom: '' }),
  );
  return r.body;
}

/** findOrder over the GatePay API. */
export async function findOrder(baseUrl: string, m: TestMerchant, out: string) {
  const { sign } = await import('../helpers/gatepay.js');
  const r = await postForm(`${baseUrl}/api/find/findOrder`, {
    appkey: m.appkey,
    out_order_id: out,
    sign: sign(m.appkey, [out], m.appsecret),
  });
  return r.body;
}

/** Runs `shouyin …` in-process against the gateway's database; returns exit code and output. */
export async function cli(env: Record<string, string>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await runCli(argv, env);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** `cli` with `--json`, parsed. */
export async function cliJson(env: Record<string, string>, argv: string[]) {
  const r = await cli(env, [...argv, '--json']);
  return { ...r, json: r.stdout === '' ? undefined : JSON.parse(r.stdout) };
}
