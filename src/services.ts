import { AccountService } from './accounts/account.service.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { Random } from './domain/random.js';
import { EventBus } from './events/bus.js';
import type { Clock } from './lib/clock.js';
import { MerchantService } from './merchants/merchant.service.js';
import { NotifyService } from './notify/notify.service.js';
import { OrderService } from './orders/order.service.js';
import { PaymentService } from './payments/payment.service.js';
import { ProductService } from './products/product.service.js';

/** Every service, built once per process over one database. HTTP, CLI and jobs share them. */
export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  events: EventBus;
  merchants: MerchantService;
  accounts: AccountService;
  products: ProductService;
  orders: OrderService;
  payments: PaymentService;
  notify: NotifyService;
}

export function createServices(opts: {
  config: Config;
  db: Db;
  clock: Clock;
  random: Random;
  events?: EventBus;
}): Services {
  const { config, db, clock, random } = opts;
  const events = opts.events ?? new EventBus();
  return {
    config,
    db,
    clock,
    events,
    merchants: new MerchantService(db, clock),
    accounts: new AccountService(db, clock),
    products: new ProductService(db, clock),
    orders: new OrderService(db, config, clock, random, events),
    payments: new PaymentService(db, clock, events),
    notify: new NotifyService(db),
  };
}
