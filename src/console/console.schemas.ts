import { type Static, Type } from 'typebox';
import type { User } from '../users/user.model.js';

/** The body of every refusal (`{ error, message }`), for each route's 4xx/5xx responses. */
export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });

/** Spread into a route's `response` so its documentation lists the error shape. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const UserBody = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  role: Type.Union([Type.Literal('operator'), Type.Literal('merchant')]),
  merchant_id: Type.Union([Type.Integer(), Type.Null()]),
  totp_enabled: Type.Boolean(),
});

export function userBody(u: User): Static<typeof UserBody> {
  return { id: u.id, email: u.email, role: u.role, merchant_id: u.merchantId, totp_enabled: u.totpEnabled };
}

/** `?merchant_id=` on merchant-scoped routes: an operator's choice; a merchant user's own or nothing. */
export const MerchantScopeQuery = Type.Object({
  merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
});
