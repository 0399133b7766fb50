import { useSyncExternalStore } from 'react';
import accounts from './i18n/accounts';
import orders from './i18n/orders';
import operator from './i18n/operator';
import settings from './i18n/settings';

/**
 * Page groups keep their strings in `i18n/<slice>.ts` (`export default { zh, en }`, the same
 * keys in both) and are merged into the catalogue here: one import and one entry each.
 */
const SLICES = { settings, accounts, orders, operator };
type SliceKey = { [S in keyof typeof SLICES]: keyof (typeof SLICES)[S]['zh'] }[keyof typeof SLICES];
const sliceMessages = (lang: 'zh' | 'en') =>
  Object.assign({}, ...Object.values(SLICES).map((slice) => slice[lang])) as Record<SliceKey, string>;

/**
 * Every string the console shows, in Chinese (the default) and English. Pages call `useT()` (which
 * re-renders them when the language changes) or `t()` outside React. The English texts of
 * labels and buttons are the accessible names browser tests look for: keep them as they are.
 */
const zh = {
  'app.name': '收银',
  'app.console': '收银控制台',

  'nav.dashboard': '概览',
  'nav.orders': '订单',
  'nav.notifications': '通知',
  'nav.payments': '收款记录',
  'nav.accounts': '收款账户',
  'nav.products': '商品',
  'nav.testPayment': '测试支付',
  'nav.settings': '账户配置',
  'nav.merchants': '商户',
  'nav.users': '用户',
  'nav.auditLog': '审计日志',
  'nav.system': '系统状态',
  'nav.menu': '菜单',
  'nav.operatorGroup': '平台管理',

  'header.language': '语言',
  'header.userMenu': '用户菜单',
  'header.signOut': '退出登录',
  'header.signedInAs': '已登录：{email}',
  'role.operator': '平台管理员',
  'role.merchant': '商户用户',

  'state.loading': '加载中…',
  'state.empty': '暂无数据',
  'state.error': '加载失败',
  'state.retry': '重试',
  'state.comingSoon': '此页面即将上线',
  'state.comingSoonHint': '这里将显示“{page}”。',
  'state.notFound': '页面不存在',
  'state.notFoundHint': '您访问的地址不存在。',
  'state.backHome': '返回概览',
  'state.pageLoadFailed': '页面加载失败，可能是控制台已更新。请刷新页面。',
  'state.reload': '刷新',

  'signIn.title': '登录收银控制台',
  'signIn.email': '邮箱',
  'signIn.password': '密码',
  'signIn.submit': '登录',
  'signIn.totp': '动态验证码',
  'signIn.totpHint': '请输入身份验证器 App 中显示的 6 位数字。',
  'signIn.totpSubmit': '验证',
  'signIn.back': '返回',
  'signIn.emailRequired': '请输入邮箱',
  'signIn.emailInvalid': '邮箱格式不正确',
  'signIn.passwordRequired': '请输入密码',
  'signIn.totpRequired': '请输入 6 位验证码',

  'setup.title': '创建平台管理员',
  'setup.intro': '这是首次启动。请设置平台管理员的邮箱和密码，之后用它们登录控制台。',
  'setup.email': '邮箱',
  'setup.password': '密码',
  'setup.submit': '创建管理员',
  'setup.checking': '正在检查设置链接…',
  'setup.invalidTitle': '设置链接无效或已过期',
  'setup.invalidHint':
    '设置链接只能使用一次，有效期 1 小时。请重启服务以在日志中获取新链接，或在服务器上运行 shouyin user add。',
  'setup.doneTitle': '管理员已创建',
  'setup.doneHint': '现在可以用刚设置的邮箱和密码登录。',
  'setup.goSignIn': '去登录',
  'setup.passwordRequired': '请设置密码',

  'error.bad_credentials': '邮箱或密码错误。',
  'error.totp_invalid': '验证码错误，请重新输入。',
  'error.locked': '登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试。',
  'error.locked_soon': '登录失败次数过多，账户已锁定，请稍后再试。',
  'error.rate_limited': '来自您网络的失败尝试过多，请 {minutes} 分钟后再试。',
  'error.rate_limited_soon': '尝试次数过多，请稍后再试。',
  'error.unauthenticated': '登录已过期，请重新登录。',
  'error.csrf': '页面已过期，请刷新后重试。',
  'error.forbidden': '您没有权限执行此操作。',
  'error.not_found': '找不到该内容。',
  'error.setup_invalid': '设置链接无效或已过期。',
  'error.disabled': '该用户已被停用，请联系平台管理员。',
  'error.bad_password': '密码错误。',
  'error.reauth_required': '请再次输入密码以继续。',
  'error.conflict': '数据刚被修改过，请刷新后重试。',
  'error.unavailable': '服务暂时不可用，请稍后重试。',
  'error.invalid_input': '输入有误：{message}',
  'error.network': '无法连接服务器，请检查网络后重试。',
  'error.server': '服务器出错，请稍后重试。',
  'error.unknown': '操作失败：{message}',
};

type BaseKey = keyof typeof zh;
type Key = BaseKey | SliceKey;

const en: Record<BaseKey, string> = {
  'app.name': 'Shouyin',
  'app.console': 'Shouyin console',

  'nav.dashboard': 'Dashboard',
  'nav.orders': 'Orders',
  'nav.notifications': 'Notifications',
  'nav.payments': 'Payments',
  'nav.accounts': 'Accounts',
  'nav.products': 'Products',
  'nav.testPayment': 'Test payment',
  'nav.settings': 'Settings',
  'nav.merchants': 'Merchants',
  'nav.users': 'Users',
  'nav.auditLog': 'Audit log',
  'nav.system': 'System',
  'nav.menu': 'Menu',
  'nav.operatorGroup': 'Operator',

  'header.language': 'Language',
  'header.userMenu': 'User menu',
  'header.signOut': 'Sign out',
  'header.signedInAs': 'Signed in as {email}',
  'role.operator': 'Operator',
  'role.merchant': 'Merchant user',

  'state.loading': 'Loading…',
  'state.empty': 'Nothing here yet',
  'state.error': 'Could not load',
  'state.retry': 'Retry',
  'state.comingSoon': 'This page is coming soon',
  'state.comingSoonHint': '“{page}” will be shown here.',
  'state.notFound': 'Page not found',
  'state.notFoundHint': 'There is no page at this address.',
  'state.backHome': 'Back to the dashboard',
  'state.pageLoadFailed': 'The page could not be loaded; the console may have been updated. Reload the page.',
  'state.reload': 'Reload',

  'signIn.title': 'Sign in to Shouyin',
  'signIn.email': 'Email',
  'signIn.password': 'Password',
  'signIn.submit': 'Sign in',
  'signIn.totp': 'Authentication code',
  'signIn.totpHint': 'Enter the 6-digit code shown in your authenticator app.',
  'signIn.totpSubmit': 'Verify',
  'signIn.back': 'Back',
  'signIn.emailRequired': 'Enter your email',
  'signIn.emailInvalid': 'This is not an email address',
  'signIn.passwordRequired': 'Enter your password',
  'signIn.totpRequired': 'Enter the 6-digit code',

  'setup.title': 'Create the operator',
  'setup.intro':
    'This is the first start. Choose the operator’s email and password; you will sign in to the console with them.',
  'setup.email': 'Email',
  'setup.password': 'Password',
  'setup.submit': 'Create operator',
  'setup.checking': 'Checking the setup link…',
  'setup.invalidTitle': 'This setup link is invalid or has expired',
  'setup.invalidHint':
    'A setup link works once and for 1 hour. Restart the server to print a new one in its log, or run shouyin user add on the server.',
  'setup.doneTitle': 'Operator created',
  'setup.doneHint': 'You can now sign in with the email and password you chose.',
  'setup.goSignIn': 'Sign in',
  'setup.passwordRequired': 'Choose a password',

  'error.bad_credentials': 'Wrong email or password.',
  'error.totp_invalid': 'Wrong authentication code. Try again.',
  'error.locked': 'Too many failed sign-ins: this account is locked for {minutes} minutes.',
  'error.locked_soon': 'Too many failed sign-ins: this account is locked for a while. Try again later.',
  'error.rate_limited': 'Too many failed attempts from your network. Try again in {minutes} minutes.',
  'error.rate_limited_soon': 'Too many attempts. Try again later.',
  'error.unauthenticated': 'Your session has ended. Sign in again.',
  'error.csrf': 'This page is out of date. Reload it and try again.',
  'error.forbidden': 'You are not allowed to do this.',
  'error.not_found': 'This could not be found.',
  'error.setup_invalid': 'This setup link is invalid or has expired.',
  'error.disabled': 'This user has been disabled. Ask the operator to enable it.',
  'error.bad_password': 'Wrong password.',
  'error.reauth_required': 'Enter your password again to continue.',
  'error.conflict': 'The data changed meanwhile. Reload and try again.',
  'error.unavailable': 'The server is briefly unavailable. Try again in a moment.',
  'error.invalid_input': '{message}',
  'error.network': 'Cannot reach the server. Check the connection and try again.',
  'error.server': 'The server had a problem. Try again in a moment.',
  'error.unknown': 'That did not work: {message}',
};

export type Lang = 'zh-CN' | 'en';
export type MessageKey = Key;

const CATALOGUES: Record<Lang, Record<Key, string>> = {
  'zh-CN': { ...zh, ...sliceMessages('zh') },
  en: { ...en, ...sliceMessages('en') },
};
const STORAGE_KEY = 'shouyin.lang';

function parseLang(value: string | null | undefined): Lang | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v === 'en' || v.startsWith('en-')) return 'en';
  if (v === 'zh' || v.startsWith('zh')) return 'zh-CN';
  return null;
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled (private mode): the language just is not remembered
  }
}

/** `?lang=` wins (and is remembered), then the remembered choice, then Chinese. */
function initialLang(): Lang {
  const fromUrl = parseLang(new URLSearchParams(location.search).get('lang'));
  if (fromUrl) {
    remember(fromUrl);
    return fromUrl;
  }
  return parseLang(readStored()) ?? 'zh-CN';
}

function remember(lang: Lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* see readStored */
  }
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();
document.documentElement.lang = current;

export function getLang(): Lang {
  return current;
}

/** Switches the language everywhere at once and remembers it for the next visit. */
export function setLang(lang: Lang) {
  if (lang === current) return;
  current = lang;
  remember(lang);
  document.documentElement.lang = lang;
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type Vars = Record<string, string | number>;

/** The text for `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: Key, vars?: Vars, lang: Lang = current): string {
  const text = CATALOGUES[lang][key];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text;
}

/** The current language; the component re-renders when it changes. */
export function useLang(): Lang {
  return useSyncExternalStore(subscribe, getLang);
}

/** `t` bound to the current language, for components. */
export function useT(): (key: Key, vars?: Vars) => string {
  const lang = useLang();
  return (key, vars) => t(key, vars, lang);
}
