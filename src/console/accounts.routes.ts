import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { type Account, formatWindow, isOnline } from '../accounts/account.model.js';
import { monitorHeartbeatExample } from '../accounts/pairing.js';
import type { Actor } from '../audit/audit.model.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import { MAX_QR_IMAGE_BYTES } from '../qrcode/decode.js';
import { fitsInQr, qrPngDataUrl } from '../qrcode/png.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses, MerchantScopeQuery } from './console.schemas.js';
import { ensureInScope, requireFreshAuth, requireMerchantId, scopedMerchantId, signedIn } from './scope.js';

/**
 * Uploads travel as base64 in JSON (the admin API takes JSON only: no form a page on another
 * site could post). A 10 MiB image is about 13.4 MiB of base64; a bulk import a little more.
 */
const UPLOAD_BODY_LIMIT = 16 * 1024 * 1024;
const BASE64_MAX = Math.ceil(MAX_QR_IMAGE_BYTES / 3) * 4 + 64;

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const PaymentTypeSchema = Type.Union([Type.Literal('alipay'), Type.Literal('wechat')]);
const Base64 = Type.String({ minLength: 1, maxLength: BASE64_MAX });
const Amount = Type.String({ maxLength: 20 });

const AccountBody = Type.Object({
  id: Type.Integer(),
  merchant_id: Type.Integer(),
  type: PaymentTypeSchema,
  name: Type.String(),
  enabled: Type.Boolean(),
  online: Type.Boolean(),
  last_heartbeat_at: Type.Union([Type.Integer(), Type.Null()]),
  last_payment_at: Type.Union([Type.Integer(), Type.Null()]),
  /** Real money received since 00:00 China time. */
  today: Type.String(),
  window: Type.Union([Type.String(), Type.Null()]),
  min: Type.Union([Type.String(), Type.Null()]),
  max: Type.Union([Type.String(), Type.Null()]),
  daily_cap: Type.Union([Type.String(), Type.Null()]),
  vmq: Type.Boolean(),
  vmq_peer_id: Type.Union([Type.Integer(), Type.Null()]),
  fixed_codes: Type.Integer(),
  qr_content: Type.String(),
  created_at: Type.Integer(),
});

const AccountDetailBody = Type.Object({
  ...AccountBody.properties,
  /** The stored code drawn again by the gateway: what the cashier shows buyers. */
  qr_png: Type.String(),
  codes: Type.Array(Type.Object({ amount: Type.String(), content: Type.String() })),
});

const PairingBody = Type.Object({
  account_id: Type.Integer(),
  type: PaymentTypeSchema,
  /** The V免签 app's `host/key` configuration string. */
  pairing: Type.String(),
  pairing_qr_png: Type.String(),
  host: Type.String(),
  key: Type.String(),
  vmq: Type.Boolean(),
  warnings: Type.Array(Type.String()),
  monitor_api_url: Type.String(),
  example: Type.String(),
});

// Null first in request unions: the admin API coerces types, and a null tried against a string
// or an integer first would become "" or 0.
const RuleText = Type.Union([Type.Null(), Type.String({ maxLength: 20 })]);
const SettingsBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    qr_content: Type.Optional(Type.String({ maxLength: 4000 })),
    qr_image: Type.Optional(Base64),
    /** `"09:00-23:00"`; null or `""`: all day. */
    window: Type.Optional(RuleText),
    min: Type.Optional(RuleText),
    max: Type.Optional(RuleText),
    daily_cap: Type.Optional(RuleText),
    enabled: Type.Optional(Type.Boolean()),
    vmq: Type.Optional(Type.Boolean()),
    vmq_peer_id: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1 })])),
  },
  { additionalProperties: false },
);

/** Who changed it, for the audit log: `console:<email>`. */
function consoleActor(request: FastifyRequest): Actor {
  return { actor: `console:${signedIn(request).user.email}` };
}

/** Base64 (optionally a `data:` URL) → bytes; anything else is the caller's mistake, said plainly. */
function imageBytes(text: string, what: string): Buffer {
  const b64 = text.replace(/^data:[^,]{0,100};base64,/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
    throw new InvalidInputError(`${what} must be a PNG or JPEG file sent as base64`);
  }
  return Buffer.from(b64, 'base64');
}

const money = (c: number | null) => (c === null ? null : formatCents(c));

/** The code drawn again; '' for content stored before the gateway checked that it can draw it. */
const redrawn = (content: string) => (fitsInQr(content) ? qrPngDataUrl(content, 240) : '');

/**
 * Receiving accounts (`/admin/api/accounts…`): the list with online state and today's takings,
 * adding and editing (QR code from an uploaded image, decoded on the server), rules, fixed-amount
 * codes, the V免签 pairing string, the monitor key and its rotation. Everything goes through
 * `AccountService`, the same functions the CLI's `shouyin account …` calls.
 */
export function accountsRoutes(app: ConsoleApp, services: Services): void {
  const { accounts, config } = services;

  /** An account the caller may see; another merchant's answers exactly like a missing one. */
  const accountInScope = async (request: FastifyRequest, id: number): Promise<Account> => {
    let a: Account;
    try {
      a = await accounts.get(id);
    } catch (err) {
      if (err instanceof NotFoundError) throw consoleErrors.notFound();
      throw err;
    }
    ensureInScope(request, a.merchantId);
    return a;
  };

  const view = async (a: Account): Promise<Static<typeof AccountBody>> => {
    const [activity, counts] = await Promise.all([
      accounts.activity(a.merchantId),
      accounts.fixedCodeCounts(),
    ]);
    return body(a, activity.get(a.id), counts.get(a.id) ?? 0);
  };

  const body = (
    a: Account,
    act: { lastPaidAt: number | null; receivedCents: number } | undefined,
    codes: number,
  ): Static<typeof AccountBody> => ({
    id: a.id,
    merchant_id: a.merchantId,
    type: a.type,
    name: a.name,
    enabled: a.enabled,
    online: isOnline(a, services.clock(), config.monitorOfflineAfter),
    last_heartbeat_at: a.lastHeartbeatAt,
    last_payment_at: act?.lastPaidAt ?? null,
    today: formatCents(act?.receivedCents ?? 0),
    window: formatWindow(a.rules),
    min: money(a.rules.minCents),
    max: money(a.rules.maxCents),
    daily_cap: money(a.rules.dailyCapCents),
    vmq: a.vmqEnabled,
    vmq_peer_id: a.vmqPeerId,
    fixed_codes: codes,
    qr_content: a.qrContent,
    created_at: a.createdAt,
  });

  const detail = async (a: Account): Promise<Static<typeof AccountDetailBody>> => {
    const codes = await accounts.fixedCodes(a.id);
    return {
      ...(await view(a)),
      qr_png: redrawn(a.qrContent),
      codes: codes.map((c) => ({ amount: formatCents(c.amountCents), content: c.content })),
    };
  };

  const pairing = async (id: number): Promise<Static<typeof PairingBody>> => {
    const { account, pairing: p } = await accounts.pairing(id, config.publicUrl);
    return {
      account_id: account.id,
      type: account.type,
      pairing: p.text,
      pairing_qr_png: qrPngDataUrl(p.text, 240),
      host: p.host,
      key: account.monitorKey,
      vmq: account.vmqEnabled,
      warnings: p.warnings,
      monitor_api_url: `${config.publicUrl.replace(/\/+$/, '')}/monitor/v1`,
      example: monitorHeartbeatExample(config.publicUrl, account.id, account.monitorKey),
    };
  };

  app.get(
    '/accounts',
    {
      schema: {
        querystring: MerchantScopeQuery,
        response: {
          200: Type.Object({ accounts: Type.Array(AccountBody), offline_after: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const merchantId = scopedMerchantId(request, request.query.merchant_id) ?? undefined;
      const [list, activity, counts] = await Promise.all([
        accounts.list(merchantId),
        accounts.activity(merchantId),
        accounts.fixedCodeCounts(),
      ]);
      return {
        accounts: list.map((a) => body(a, activity.get(a.id), counts.get(a.id) ?? 0)),
        offline_after: config.monitorOfflineAfter,
      };
    },
  );

  app.get(
    '/accounts/:id',
    { schema: { params: Id, response: { 200: AccountDetailBody, ...errorResponses } } },
    async (request) => detail(await accountInScope(request, request.params.id)),
  );

  // Decodes an uploaded receiving-code image without storing anything: the add and edit forms
  // show its content and the code as the cashier will draw it before the owner saves.
  app.post(
    '/accounts/decode-qr',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      schema: {
        body: Type.Object({ image: Base64 }, { additionalProperties: false }),
        response: { 200: Type.Object({ content: Type.String(), qr_png: Type.String() }), ...errorResponses },
      },
    },
    async (request) => {
      const content = accounts.decodeQr(imageBytes(request.body.image, 'image'));
      return { content, qr_png: qrPngDataUrl(content, 240) };
    },
  );

  app.post(
    '/accounts',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      schema: {
        body: Type.Object(
          {
            merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
            type: PaymentTypeSchema,
            name: Type.String({ maxLength: 200 }),
            qr_content: Type.Optional(Type.String({ maxLength: 4000 })),
            qr_image: Type.Optional(Base64),
          },
          { additionalProperties: false },
        ),
        response: { 200: AccountDetailBody, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const merchantId = requireMerchantId(request, b.merchant_id);
      if (b.qr_content === undefined && b.qr_image === undefined) {
        throw new InvalidInputError('Upload the receiving QR code image (or paste its content).');
      }
      const a = await accounts.add(
        {
          merchantId,
          type: b.type,
          name: b.name,
          qrContent: b.qr_content,
          qrImage: b.qr_image === undefined ? undefined : imageBytes(b.qr_image, 'qr_image'),
        },
        consoleActor(request),
      );
      return detail(a);
    },
  );

  app.patch(
    '/accounts/:id',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      schema: { params: Id, body: SettingsBody, response: { 200: AccountDetailBody, ...errorResponses } },
    },
    async (request) => {
      const a = await accountInScope(request, request.params.id);
      const b = request.body;
      // A peer of another merchant must look exactly like a missing one.
      if (b.vmq_peer_id !== undefined && b.vmq_peer_id !== null) await accountInScope(request, b.vmq_peer_id);
      const updated = await accounts.set(
        a.id,
        {
          name: b.name,
          qrContent: b.qr_content,
          qrImage: b.qr_image === undefined ? undefined : imageBytes(b.qr_image, 'qr_image'),
          window: b.window,
          min: b.min,
          max: b.max,
          dailyCap: b.daily_cap,
          enabled: b.enabled,
          vmqEnabled: b.vmq,
          vmqPeerId: b.vmq_peer_id,
        },
        consoleActor(request),
      );
      return detail(updated);
    },
  );

  // Bulk import of fixed-amount codes: CSV files of `amount,content` lines and QR images named
  // by their amount (`10.00.png`) or given one; all or nothing.
  app.post(
    '/accounts/:id/fixed-codes',
    {
      bodyLimit: UPLOAD_BODY_LIMIT,
      schema: {
        params: Id,
        body: Type.Object(
          {
            files: Type.Array(
              Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: 200 }),
                  data: Base64,
                  amount: Type.Optional(Amount),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 200 },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            account_id: Type.Integer(),
            imported: Type.Integer(),
            amounts: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const a = await accountInScope(request, request.params.id);
      const uploads = request.body.files.map((f) => {
        let amountCents: number | undefined;
        if (f.amount !== undefined && f.amount.trim() !== '') {
          const cents = parsePositiveCents(f.amount.trim());
          if (cents === null)
            throw new InvalidInputError(`${f.name}: "${f.amount}" is not an amount like 10.00`);
          amountCents = cents;
        }
        return { name: f.name, bytes: imageBytes(f.data, f.name), amountCents };
      });
      return accounts.importFixedCodeUploads(a.id, uploads, consoleActor(request));
    },
  );

  // The monitor key is what lets a device report payments: showing it needs a fresh sign-in.
  app.get(
    '/accounts/:id/pairing',
    { schema: { params: Id, response: { 200: PairingBody, ...errorResponses } } },
    async (request) => {
      const a = await accountInScope(request, request.params.id);
      requireFreshAuth(request, services.users.sessions);
      return pairing(a.id);
    },
  );

  app.post(
    '/accounts/:id/rotate-key',
    {
      schema: {
        params: Id,
        response: { 200: PairingBody, ...errorResponses },
      },
    },
    async (request) => {
      const a = await accountInScope(request, request.params.id);
      requireFreshAuth(request, services.users.sessions);
      await accounts.rotateKey(a.id, consoleActor(request));
      return pairing(a.id);
    },
  );
}
