import type { Db } from '../db/connect.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { isPaymentType } from '../domain/order-state.js';
import type { Clock } from '../lib/clock.js';
import { randomHex } from '../lib/tokens.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import type { Account } from './account.model.js';
import { findAccountById, insertAccount, listAccounts } from './account.repository.js';

export interface AddAccountInput {
  merchantId: number;
  type: string;
  name: string;
  qrContent: string;
}

export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async add(input: AddAccountInput): Promise<Account> {
    if (!isPaymentType(input.type)) throw new InvalidInputError('type must be alipay or wechat');
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new InvalidInputError('name must be 1–100 characters');
    const qr = input.qrContent.trim();
    if (qr === '' || qr.length > 2000)
      throw new InvalidInputError('qr must be the receiving QR code content (1–2000 characters)');
    if (!(await findMerchantById(this.db.kysely, input.merchantId))) {
      throw new NotFoundError(`merchant ${input.merchantId} not found`);
    }
    const id = await insertAccount(this.db.kysely, {
      merchant_id: input.merchantId,
      type: input.type,
      name,
      qr_content: qr,
      monitor_key: randomHex(16),
      created_at: this.clock(),
    });
    return this.get(id);
  }

  async get(id: number): Promise<Account> {
    const a = await findAccountById(this.db.kysely, id);
    if (!a) throw new NotFoundError(`account ${id} not found`);
    return a;
  }

  list(merchantId?: number): Promise<Account[]> {
    return listAccounts(this.db.kysely, merchantId);
  }
}
