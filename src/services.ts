import { AccountService } from './accounts/account.service.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { Random } from './domain/random.js';
import { EventBus } from './events/bus.js';
import type { Clock } from './lib/clock.js';
import { MerchantService } from './merchants/merchant.service.js';
import { MerchantSettingsService } from './merchants/merchant-settings.service.js';
import { SetupChecklistService } from './merchants/setup-checklist.service.js';
import { NotifyService } from './notify/notify.service.js';
import { OrderService } from './orders/order.service.js';
import { PaymentService } from './payments/payment.service.js';
import { ProductService } from './products/product.service.js';
import { DashboardService } from './console/dashboard.service.js';
import { SessionService } from './users/session.service.js';
import { UserAdminService } from './users/user-admin.service.js';
import { UserService } from './users/user.service.js';

/** Every service, built once per process over one database. HTTP, CLI and jobs share them. */
export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  events: EventBus;
  merchants: MerchantService;
  /** The console's settings page (URLs, test notification, signature helper, secret rotation). */
  merchantSettings: MerchantSettingsService;
  /** The console home page's setup checklist. */
  setupChecklist: SetupChecklistService;
  accounts: AccountService;
  products: ProductService;
  orders: OrderService;
  payments: PaymentService;
  notify: NotifyService;
  /** Console users and their sign-ins; `users.sessions` holds their sessions. */
  users: UserService;
  /** The operator's users page: disable, reset passwords, revoke sessions (audited). */
  userAdmin: UserAdminService;
  /** The console home page's figures. */
  dashboard: DashboardService;
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
  const merchants = new MerchantService(db, clock);
  const users = new UserService(db, clock, new SessionService(db, clock), {
    failuresPerAddress: config.signInFailuresPerAddress,
  });
  return {
    config,
    db,
    clock,
    events,
    merchants,
    merchantSettings: new MerchantSettingsService(db, config, clock, merchants),
    setupChecklist: new SetupChecklistService(db, config, clock, merchants),
    accounts: new AccountService(db, clock),
    products: new ProductService(db, clock),
    orders: new OrderService(db, config, clock, random, events),
    payments: new PaymentService(db, clock, events),
    notify: new NotifyService(db),
    users,
    userAdmin: new UserAdminService(db, clock, users, users.sessions),
    dashboard: new DashboardService(db, config, clock),
  };
}
