import { basename, extname } from 'node:path';
import encodeQR from 'qr';
import { accountView } from '../accounts/account.model.js';
import type { AccountSettings } from '../accounts/account.service.js';
import {
  amountFromFileName,
  type FixedCodeEntry,
  fixedCodeFromImage,
  FixedCodeParseError,
  parseFixedCodesCsv,
} from '../accounts/fixed-codes.js';
import { cliActor } from '../audit/actor.js';
import { listAudit } from '../audit/audit.repository.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatCents } from '../domain/money.js';
import { paymentView } from '../payments/payment.model.js';
import { readOperatorFile, readQrImageFile } from '../qrcode/image-file.js';
import type { Services } from '../services.js';
import type { Command, CommandContext } from './commands.js';

type Values = CommandContext['values'];

const s = { type: 'string' } as const;
const b = { type: 'boolean' } as const;

function opt(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

function idArg(text: string | undefined, what: string): number {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) {
    throw new InvalidInputError(`${what} must be a positive whole number`);
  }
  return Number(text);
}

function onOff(text: string, what: string): boolean {
  if (text === '1' || text === 'true' || text === 'on') return true;
  if (text === '0' || text === 'false' || text === 'off') return false;
  throw new InvalidInputError(`${what} must be 1 or 0`);
}

const qrImage = readQrImageFile;

/** An account with what an operator needs to judge it: online state and fixed-code count. */
async function accountOut(services: Services, id: number) {
  const a = await services.accounts.get(id);
  const counts = await services.accounts.fixedCodeCounts();
  return accountView(a, services.clock(), services.config.monitorOfflineAfter, counts.get(a.id) ?? 0);
}

/** The account's key and V免签 pairing string; for a person also its QR code and the warnings. */
async function pairingOut(services: Services, id: number, publicUrl: string, json: boolean) {
  const { account, pairing } = await services.accounts.pairing(id, publicUrl);
  if (!json) {
    console.log(
      encodeQR(pairing.text, process.stdout.isTTY ? 'term' : 'ascii', { ecc: 'medium', border: 2 }),
    );
    for (const w of pairing.warnings) console.error(`warning: ${w}`);
  }
  return {
    account_id: account.id,
    type: account.type,
    pairing: pairing.text,
    host: pairing.host,
    key: account.monitorKey,
    warnings: pairing.warnings,
  };
}

/** Fixed-amount codes from CSV files and images named by their amount (`10.00.png`). */
function readFixedCodes(files: readonly string[]): FixedCodeEntry[] {
  const entries: FixedCodeEntry[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const ext = extname(file).toLowerCase();
    try {
      if (ext === '.csv' || ext === '.txt') {
        entries.push(...parseFixedCodesCsv(readOperatorFile(file, 10 * 1024 * 1024).toString('utf8'), file));
      } else if (ext === '.png' || ext === '.jpg' || ext === '.jpeg') {
        if (amountFromFileName(file) === null) {
          problems.push(`${file}: name the image by its amount, like 10.00.png`);
          continue;
        }
        entries.push(fixedCodeFromImage(basename(file), qrImage(file)));
      } else {
        problems.push(`${file}: expected a .csv file or .png/.jpg images`);
      }
    } catch (err) {
      if (err instanceof FixedCodeParseError) problems.push(...err.problems);
      else if (err instanceof InvalidInputError) problems.push(`${file}: ${err.message}`);
      else throw err;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(`nothing imported:\n  ${problems.join('\n  ')}`);
  return entries;
}

/** `shouyin account …`, `payment …`, `order mark-paid`, `audit list`: payment detection. */
export const DETECTION_COMMANDS: Command[] = [
  {
    path: ['account', 'list'],
    usage: 'account list [--merchant ID]            receiving accounts: rules, online state, codes',
    options: { merchant: s },
    run: async ({ services, values }) => {
      const m = opt(values, 'merchant');
      const accounts = await services.accounts.list(m === undefined ? undefined : idArg(m, '--merchant'));
      const counts = await services.accounts.fixedCodeCounts();
      const now = services.clock();
      return accounts.map((a) =>
        accountView(a, now, services.config.monitorOfflineAfter, counts.get(a.id) ?? 0),
      );
    },
  },
  {
    path: ['account', 'show'],
    usage: 'account show ID                         one account with its fixed-amount codes',
    options: {},
    run: async ({ services, positionals }) => {
      const id = idArg(positionals[0], 'account ID');
      const codes = await services.accounts.fixedCodes(id);
      return {
        ...(await accountOut(services, id)),
        codes: codes.map((c) => ({ amount: formatCents(c.amountCents), content: c.content })),
      };
    },
  },
  {
    path: ['account', 'set'],
    usage:
      'account set ID [--name N] [--qr CONTENT | --qr-image FILE] [--window 09:00-23:00|""] [--min X|""] [--max X|""]\n' +
      '               [--daily-cap X|""] [--vmq 1|0] [--vmq-peer ID|""]',
    options: {
      name: s,
      qr: s,
      'qr-image': s,
      window: s,
      min: s,
      max: s,
      'daily-cap': s,
      vmq: s,
      'vmq-peer': s,
    },
    run: async ({ services, values, positionals }) => {
      const id = idArg(positionals[0], 'account ID');
      const v = (n: string) => opt(values, n);
      const settings: AccountSettings = {};
      if (v('name') !== undefined) settings.name = v('name');
      if (v('qr') !== undefined) settings.qrContent = v('qr');
      if (v('qr-image') !== undefined) settings.qrImage = qrImage(v('qr-image') as string);
      if (v('window') !== undefined) settings.window = v('window');
      if (v('min') !== undefined) settings.min = v('min');
      if (v('max') !== undefined) settings.max = v('max');
      if (v('daily-cap') !== undefined) settings.dailyCap = v('daily-cap');
      if (v('vmq') !== undefined) settings.vmqEnabled = onOff(v('vmq') as string, '--vmq');
      if (v('vmq-peer') !== undefined) {
        const peer = v('vmq-peer') as string;
        settings.vmqPeerId = peer === '' ? null : idArg(peer, '--vmq-peer');
      }
      if (Object.keys(settings).length === 0) throw new InvalidInputError('nothing to change; see --help');
      await services.accounts.set(id, settings, { actor: cliActor() });
      return accountOut(services, id);
    },
  },
  {
    path: ['account', 'disable'],
    usage: 'account disable ID                      stop offering the account to new orders',
    options: {},
    run: async ({ services, positionals }) => {
      const id = idArg(positionals[0], 'account ID');
      await services.accounts.setEnabled(id, false, { actor: cliActor() });
      return accountOut(services, id);
    },
  },
  {
    path: ['account', 'enable'],
    usage: 'account enable ID                       offer the account to new orders again',
    options: {},
    run: async ({ services, positionals }) => {
      const id = idArg(positionals[0], 'account ID');
      await services.accounts.setEnabled(id, true, { actor: cliActor() });
      return accountOut(services, id);
    },
  },
  {
    path: ['account', 'pair'],
    usage: 'account pair ID                         the host/key string (and QR code) for the V免签 app',
    options: {},
    run: async ({ services, values, positionals, config }) => {
      const id = idArg(positionals[0], 'account ID');
      return pairingOut(services, id, config.publicUrl, values.json === true);
    },
  },
  {
    path: ['account', 'rotate-key'],
    usage: 'account rotate-key ID                   a new monitor key; the old one is refused at once',
    options: {},
    run: async ({ services, values, positionals, config }) => {
      const id = idArg(positionals[0], 'account ID');
      await services.accounts.rotateKey(id, { actor: cliActor() });
      return pairingOut(services, id, config.publicUrl, values.json === true);
    },
  },
  {
    path: ['account', 'qr', 'import'],
    usage: 'account qr import ID FILE.csv|IMAGES…   fixed-amount codes: CSV "amount,content" or 10.00.png',
    options: {},
    run: async ({ services, positionals }) => {
      const id = idArg(positionals[0], 'account ID');
      const files = positionals.slice(1);
      if (files.length === 0) throw new InvalidInputError('name a .csv file or QR images (10.00.png …)');
      await services.accounts.get(id);
      return services.accounts.importFixedCodes(id, readFixedCodes(files), { actor: cliActor() });
    },
  },
  {
    path: ['payment', 'list'],
    usage: 'payment list [--unmatched] [--account ID] [--limit N]  reported payments, newest first',
    options: { unmatched: b, account: s, limit: s },
    run: async ({ services, values }) => {
      const account = opt(values, 'account');
      const limit = opt(values, 'limit');
      if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit)) {
        throw new InvalidInputError('--limit must be 1–9999');
      }
      const rows = await services.payments.list({
        unmatched: values.unmatched === true,
        accountId: account === undefined ? undefined : idArg(account, '--account'),
        limit: limit === undefined ? 100 : Number(limit),
      });
      return rows.map(paymentView);
    },
  },
  {
    path: ['payment', 'attach'],
    usage: 'payment attach PAYMENT_ID ORDER_ID [--reason R]  pay an order with an unmatched payment',
    options: { reason: s },
    run: async ({ services, values, positionals }) => {
      const paymentId = idArg(positionals[0], 'payment ID');
      const orderId = idArg(positionals[1], 'order ID');
      const reason = opt(values, 'reason');
      const order = await services.payments.attach(paymentId, orderId, {
        actor: cliActor(),
        ...(reason === undefined ? {} : { reason }),
      });
      return { payment_id: paymentId, order_id: order.id, status: order.status, late: order.late };
    },
  },
  {
    path: ['order', 'mark-paid'],
    usage: 'order mark-paid ORDER_ID --reason R     confirm a payment by hand (audited)',
    options: { reason: s },
    run: async ({ services, values, positionals }) => {
      const orderId = idArg(positionals[0], 'order ID');
      const reason = opt(values, 'reason');
      if (reason === undefined || reason.trim() === '') {
        throw new InvalidInputError('--reason is required: say how you know it was paid');
      }
      const { order, paymentId } = await services.payments.markPaid(orderId, { actor: cliActor(), reason });
      return {
        order_id: order.id,
        status: order.status,
        late: order.late,
        payment_id: paymentId,
        realprice: formatCents(order.realpriceCents),
      };
    },
  },
  {
    path: ['audit', 'list'],
    usage: 'audit list [--subject order:12] [--limit N]  what operators did by hand, newest first',
    options: { subject: s, limit: s },
    run: async ({ services, values }) => {
      const limit = opt(values, 'limit');
      if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit)) {
        throw new InvalidInputError('--limit must be 1–9999');
      }
      const subject = opt(values, 'subject');
      const entries = await listAudit(services.db.kysely, {
        ...(subject === undefined ? {} : { subject }),
        limit: limit === undefined ? 100 : Number(limit),
      });
      return entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
    },
  },
];
