import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import { totpCode } from '../../src/users/totp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const OPERATOR = { email: 'boss@example.com', password: 'correct horse battery' };
const MERCHANT_USER = { email: 'shop@example.com', password: 'shop owner password' };
const LOCKED_USER = { email: 'forgetful@example.com', password: 'the right password' };
const TOTP_USER = { email: 'careful@example.com', password: 'two factors are better' };

const MERCHANT_PAGES = [
  'Dashboard',
  'Orders',
  'Notifications',
  'Payments',
  'Accounts',
  'Products',
  'Test payment',
  'Settings',
];
const OPERATOR_PAGES = ['Merchants', 'Users', 'Audit log', 'System'];

/** The page is no wider than the window: nothing to scroll sideways on a phone. */
async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** Waits for the page whose title (its first heading) is exactly `name`. */
async function pageTitled(page: Page, name: string) {
  await page.getByRole('heading', { name, exact: true }).first().waitFor();
}

/** Runs `act` and waits for the sign-in call it makes to be answered. */
async function answered(page: Page, act: () => Promise<void>) {
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/api/sign-in')), act()]);
}

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('console shell in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let totpSecret: string;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build` before the browser tests');
    }
    browser = await launchChromium();
    gw = await startTestGateway();
    const m = await gw.services.merchants.add({
      name: '星光小铺',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
      timeoutUrl: null,
    });
    await gw.services.users.add({ ...OPERATOR, role: 'operator' });
    await gw.services.users.add({ ...MERCHANT_USER, role: 'merchant', merchantId: m.id });
    await gw.services.users.add({ ...LOCKED_USER, role: 'merchant', merchantId: m.id });
    const careful = await gw.services.users.add({ ...TOTP_USER, role: 'merchant', merchantId: m.id });
    totpSecret = (await gw.services.users.beginTotp(careful.id)).secret;
    // Enabled with the previous step's code, so the current one is still unused for signing in.
    await gw.services.users.enableTotp(careful.id, totpCode(totpSecret, Date.now() - 30_000));
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  for (const [device, spec] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    it(`shows the sign-in page in Chinese by default and in English with ?lang=en (${device})`, async () => {
      const { context, page } = await openPage(browser, spec);
      try {
        await page.goto(`${gw.url}/admin/sign-in`);
        await pageTitled(page, '登录收银控制台');
        await page.getByLabel('邮箱', { exact: true }).waitFor();
        await page.getByLabel('密码', { exact: true }).waitFor();
        await page.getByRole('button', { name: '登录', exact: true }).waitFor();
        expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
        expect(await fitsWidth(page)).toBe(true);
        await screenshot(page, `console-sign-in-${device}-zh`);

        await page.goto(`${gw.url}/admin/sign-in?lang=en`);
        // The contract's names, exactly, both as label text and as accessible name (no "* Email").
        await page.getByLabel('Email', { exact: true }).waitFor();
        await page.getByRole('textbox', { name: 'Email', exact: true }).waitFor();
        await page.getByLabel('Password', { exact: true }).waitFor();
        await page.getByRole('textbox', { name: 'Password', exact: true }).waitFor();
        await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
        expect(await page.title()).toBe('Sign in to Shouyin · Shouyin');
        expect(await fitsWidth(page)).toBe(true);
        await screenshot(page, `console-sign-in-${device}-en`);
      } finally {
        await context.close();
      }
    });
  }

  it('remembers the language chosen with the switch across reloads, and ?lang= overrides it', async () => {
    const { context, page } = await openPage(browser, PHONE);
    try {
      await page.goto(`${gw.url}/admin/sign-in`);
      await page.getByText('English', { exact: true }).click();
      await page.getByLabel('Email', { exact: true }).waitFor();
      await page.reload();
      await page.getByLabel('Email', { exact: true }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');

      await page.goto(`${gw.url}/admin/sign-in?lang=zh`);
      await page.getByLabel('邮箱', { exact: true }).waitFor();
      await page.goto(`${gw.url}/admin/sign-in`);
      await page.getByLabel('邮箱', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('says in words why a sign-in is refused: wrong password, then locked for 15 minutes', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      const alert = page.getByRole('alert');
      for (let i = 1; i <= 4; i++) {
        await answered(page, () => signIn(page, { email: LOCKED_USER.email, password: `wrong ${i}` }));
        await expect.poll(() => alert.textContent()).toBe('Wrong email or password.');
      }
      // The fifth wrong password locks the account; then even the right one meets the lock.
      await answered(page, () => signIn(page, { email: LOCKED_USER.email, password: 'wrong 5' }));
      await expect
        .poll(() => alert.textContent())
        .toBe('Too many failed sign-ins: this account is locked for 15 minutes.');
      await answered(page, () => signIn(page, LOCKED_USER));
      await expect
        .poll(() => alert.textContent())
        .toBe('Too many failed sign-ins: this account is locked for 15 minutes.');
      expect(page.url()).toBe(`${gw.url}/admin/sign-in?lang=en`);
      await screenshot(page, 'console-sign-in-locked-desktop-en');

      await page.getByText('中文', { exact: true }).click();
      await page.getByLabel('邮箱', { exact: true }).fill(LOCKED_USER.email);
      await page.getByLabel('密码', { exact: true }).fill(LOCKED_USER.password);
      await page.getByRole('button', { name: '登录', exact: true }).click();
      await page.getByText('账户已锁定，请 15 分钟后再试').waitFor();
    } finally {
      await context.close();
    }
  });

  it('asks for the authentication code after the password when two-factor sign-in is on', async () => {
    const { context, page } = await openPage(browser, PHONE);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await answered(page, () => signIn(page, TOTP_USER));
      const code = page.getByLabel('Authentication code', { exact: true });
      await code.waitFor();
      expect(await page.getByLabel('Password', { exact: true }).count()).toBe(0);
      await screenshot(page, 'console-sign-in-totp-phone-en');

      await code.fill('000000');
      await answered(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe('Wrong authentication code. Try again.');
      await code.fill(totpCode(totpSecret, Date.now()));
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await pageTitled(page, 'Dashboard');
    } finally {
      await context.close();
    }
  });

  it('signs the operator in on a desktop: side navigation with every page, operator pages included', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await signIn(page, OPERATOR);
      await page.waitForURL(`${gw.url}/admin`);
      await pageTitled(page, 'Dashboard');
      const nav = page.getByRole('navigation', { name: 'Menu' });
      for (const name of [...MERCHANT_PAGES, ...OPERATOR_PAGES]) {
        expect(await nav.getByRole('link', { name, exact: true }).isVisible(), name).toBe(true);
      }
      expect(await page.getByRole('button', { name: 'Menu', exact: true }).count()).toBe(0); // no drawer button
      await screenshot(page, 'console-dashboard-desktop-en');

      await nav.getByRole('link', { name: 'Orders', exact: true }).click();
      await page.waitForURL(`${gw.url}/admin/orders`);
      await pageTitled(page, 'Orders');
      await nav.getByRole('link', { name: 'Audit log', exact: true }).click();
      await pageTitled(page, 'Audit log');

      // An address the console does not have: its own page, inside the shell.
      await page.goto(`${gw.url}/admin/no-such-page`);
      await page.getByText('Page not found').waitFor();

      // Switching the language re-labels everything at once.
      await page.getByText('中文', { exact: true }).click();
      await page.getByRole('navigation', { name: '菜单' }).getByRole('link', { name: '审计日志' }).waitFor();
      await page.goto(`${gw.url}/admin/`);
      await pageTitled(page, '概览');
      await screenshot(page, 'console-dashboard-desktop-zh');
    } finally {
      await context.close();
    }
  });

  it('gives a merchant user on a phone a drawer menu without the operator pages, and refuses them by address', async () => {
    const { context, page } = await openPage(browser, PHONE);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await signIn(page, MERCHANT_USER);
      await pageTitled(page, 'Dashboard');
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, 'console-dashboard-phone-en');

      await page.getByRole('button', { name: 'Menu', exact: true }).click();
      const drawer = page.getByRole('dialog');
      for (const name of MERCHANT_PAGES) {
        await drawer.getByRole('link', { name, exact: true }).waitFor();
      }
      for (const name of OPERATOR_PAGES) {
        expect(await page.getByRole('link', { name, exact: true }).count(), name).toBe(0);
      }
      // Once it has slid all the way in.
      await page.waitForFunction(
        () => document.querySelector('.ant-drawer-content-wrapper')?.getBoundingClientRect().left === 0,
      );
      await screenshot(page, 'console-drawer-phone-en');
      await drawer.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.waitForURL(`${gw.url}/admin/settings`);
      await pageTitled(page, 'Settings');
      await drawer.waitFor({ state: 'hidden' });

      await page.goto(`${gw.url}/admin/users`);
      await page.getByText('You are not allowed to do this.').waitFor();
      expect(await page.getByRole('heading', { name: 'Users', exact: true }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('sends a signed-out visitor to sign in and then back where they were going, never to another site', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/payments?lang=en`);
      await page.waitForURL(/\/admin\/sign-in\?next=/);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/payments?lang=en');
      await signIn(page, MERCHANT_USER);
      await page.waitForURL(`${gw.url}/admin/payments?lang=en`);
      await pageTitled(page, 'Payments');

      await page.getByRole('button', { name: 'User menu' }).click();
      await page.getByText('Sign out', { exact: true }).click();
      await page.waitForURL(`${gw.url}/admin/sign-in`);
      // Signed out on the server too (the call carried the CSRF token).
      expect((await page.request.get(`${gw.url}/admin/api/session`)).status()).toBe(401);

      await page.goto(`${gw.url}/admin/sign-in?next=//evil.example/steal`);
      await signIn(page, MERCHANT_USER);
      await pageTitled(page, 'Dashboard');
      expect(page.url()).toBe(`${gw.url}/admin`);
    } finally {
      await context.close();
    }
  });

  it('goes to the sign-in page when the session ended while the tab was in the background', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await signIn(page, MERCHANT_USER);
      await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Products' }).click();
      await pageTitled(page, 'Products');
      await context.clearCookies(); // as if revoked from another device, or expired
      await page.evaluate(() => window.dispatchEvent(new Event('visibilitychange'))); // back on the tab
      await page.waitForURL(/\/admin\/sign-in\?next=/);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/products');
      await page.getByLabel('Email', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('console first-run setup in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;

  beforeAll(async () => {
    browser = await launchChromium();
    gw = await startTestGateway({ env: { SIGN_IN_FAILURES_PER_ADDRESS: '2' } });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('creates the operator from the printed link and signs it in; the link then says it is used up', async () => {
    const link = await gw.services.users.openSetup(gw.config.publicUrl);
    expect(link).toMatch(/\/admin\/setup\?token=/);
    const { context, page } = await openPage(browser, PHONE);
    try {
      await page.goto(`${link}&lang=en`);
      await pageTitled(page, 'Create the operator');
      expect(await fitsWidth(page)).toBe(true);
      await screenshot(page, 'console-setup-phone-en');
      await page.getByLabel('Email', { exact: true }).fill(OPERATOR.email);
      await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
      await page.getByRole('button', { name: 'Create operator', exact: true }).click();
      await page.waitForURL(`${gw.url}/admin`);
      await pageTitled(page, 'Dashboard');
      expect((await gw.services.users.list()).map((u) => [u.email, u.role])).toEqual([
        [OPERATOR.email, 'operator'],
      ]);

      await page.goto(`${link}&lang=en`);
      await page.getByText('This setup link is invalid or has expired').waitFor();
      expect(await page.getByRole('button', { name: 'Create operator' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('says a made-up or missing setup token is no good, in Chinese by default', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/setup?token=not-a-real-token`);
      await page.getByText('设置链接无效或已过期').waitFor();
      await screenshot(page, 'console-setup-invalid-desktop-zh');
      await page.goto(`${gw.url}/admin/setup`);
      await page.getByText('设置链接无效或已过期').waitFor();
    } finally {
      await context.close();
    }
  });

  it('says "too many attempts" when this address has failed too often', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      for (let i = 1; i <= 2; i++) {
        await answered(page, () => signIn(page, { email: `nobody${i}@example.com`, password: 'guess' }));
        await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong email or password.');
      }
      await signIn(page, { email: 'nobody3@example.com', password: 'guess' });
      await page
        .getByText(/^Too many failed attempts from your network\. Try again in \d+ minutes\.$/)
        .waitFor();
    } finally {
      await context.close();
    }
  });
});
