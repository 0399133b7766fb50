import type { TestGateway } from '../helpers/gateway.js';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
  /** The raw `Set-Cookie` lines of the answer. */
  setCookies: string[];
}

/**
 * A browser's view of the admin API over real HTTP: keeps the session cookie it was given and the
 * CSRF token of the last sign-in, and sends both like the SPA does.
 */
export class ConsoleClient {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers };
    if (this.cookie) headers.cookie = `shouyin_session=${this.cookie}`;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.base}/admin/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const m = /^shouyin_session=([^;]*)/.exec(line);
      if (m) this.cookie = m[1] === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) ? null : m[1]!;
    }
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    const answer = { status: res.status, body: parsed as any, headers: res.headers, setCookies };
    if (answer.status === 200 && typeof answer.body?.csrf_token === 'string')
      this.csrf = answer.body.csrf_token;
    return answer;
  }

  get = (path: string) => this.call('GET', path);
  post = (path: string, body?: unknown, opts?: { csrf?: string | null }) =>
    this.call('POST', path, body, opts);
  delete = (path: string, opts?: { csrf?: string | null }) => this.call('DELETE', path, undefined, opts);

  signIn(email: string, password: string, totp?: string) {
    return this.post('/sign-in', totp === undefined ? { email, password } : { email, password, totp });
  }
}

/** A fresh setup token for the gateway's empty database (what the first start printed). */
export async function setupToken(gw: TestGateway): Promise<string> {
  const link = await gw.services.users.openSetup(gw.config.publicUrl);
  if (!link) throw new Error('the database already has users');
  return new URL(link).searchParams.get('token')!;
}

export const OPERATOR = { email: 'boss@example.com', password: 'correct horse battery' };

/** Creates the operator through the setup link and returns a client signed in as it. */
export async function operatorClient(gw: TestGateway): Promise<ConsoleClient> {
  const c = new ConsoleClient(gw.url);
  const r = await c.post('/setup', { token: await setupToken(gw), ...OPERATOR });
  if (r.status !== 200) throw new Error(`setup failed: ${JSON.stringify(r.body)}`);
  return c;
}

/** Signs in a new client; throws unless it worked. */
export async function signedInClient(gw: TestGateway, email: string, password: string, totp?: string) {
  const c = new ConsoleClient(gw.url);
  const r = await c.signIn(email, password, totp);
  if (r.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(r.body)}`);
  return c;
}

/** The sign-in records, oldest first. */
export async function signIns(gw: TestGateway) {
  return gw.services.db.kysely.selectFrom('sign_ins').selectAll().orderBy('id').execute();
}
