import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { User } from '../users/user.model.js';
import type { Command, CommandContext } from './commands.js';

type Values = CommandContext['values'];

const s = { type: 'string' } as const;
const b = { type: 'boolean' } as const;
/** Longer than any password `checkNewPassword` accepts; bounds what `--password-stdin` reads. */
const STDIN_LIMIT = 4096;

function opt(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

/** Reads a line from the terminal without echoing it; Ctrl-C or Ctrl-D cancels. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004')
          return finish(new InvalidInputError('cancelled; nothing changed'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    // Echo off before the question shows: what is typed in answer must never be echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT) throw new InvalidInputError('the password on standard input is too long');
    chunks.push(chunk);
  }
  // `echo pw | shouyin …` ends the password with a newline that is not part of it.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * The new password: from standard input with `--password-stdin` (scripts), else asked twice on
 * the terminal without echo. Never from an argument: arguments show in `ps` and shell history.
 */
async function newPassword(values: Values): Promise<string> {
  if (values['password-stdin'] === true) return readStdin();
  if (!process.stdin.isTTY) {
    throw new InvalidInputError('no terminal to ask for the password: pipe it in with --password-stdin');
  }
  const first = await promptHidden('New password: ');
  const again = await promptHidden('Repeat it: ');
  if (first !== again) throw new InvalidInputError('the two passwords differ; nothing changed');
  return first;
}

const userOut = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  merchant_id: u.merchantId,
  totp_enabled: u.totpEnabled,
  disabled: u.disabled,
  locked_until: u.lockedUntil === null ? null : new Date(u.lockedUntil).toISOString(),
  created_at: new Date(u.createdAt).toISOString(),
});

/** `shouyin user …`: console users from the shell (the same service the setup page uses). */
export const USER_COMMANDS: Command[] = [
  {
    path: ['user', 'add'],
    usage:
      'user add --email E --role operator|merchant [--merchant ID] [--password-stdin]   add a console user',
    options: { email: s, role: s, merchant: s, 'password-stdin': b },
    run: async ({ services, values }) => {
      const email = opt(values, 'email');
      const role = opt(values, 'role');
      if (email === undefined) throw new InvalidInputError('--email is required');
      if (role !== 'operator' && role !== 'merchant') {
        throw new InvalidInputError('--role must be operator or merchant');
      }
      const merchant = opt(values, 'merchant');
      if (merchant !== undefined && !/^[1-9][0-9]{0,15}$/.test(merchant)) {
        throw new InvalidInputError('--merchant must be a positive whole number');
      }
      if (role === 'merchant' && merchant === undefined) {
        throw new InvalidInputError('--merchant is required for a merchant user');
      }
      // Everything but the password checked first: nobody types a password for a refused command.
      services.users.normalizeEmail(email);
      const password = await newPassword(values);
      const user = await services.users.add({
        email,
        password,
        role,
        merchantId: merchant === undefined ? null : Number(merchant),
      });
      return userOut(user);
    },
  },
  {
    path: ['user', 'passwd'],
    usage: 'user passwd EMAIL [--password-stdin]    set a new password; signs the user out everywhere',
    options: { 'password-stdin': b },
    run: async ({ services, values, positionals }) => {
      const email = positionals[0];
      if (email === undefined) throw new InvalidInputError('name the user by email: user passwd EMAIL');
      if (!(await services.users.findByEmail(email))) {
        throw new NotFoundError(`no user with email ${services.users.normalizeEmail(email)}`);
      }
      const password = await newPassword(values);
      const { user, sessionsRevoked } = await services.users.setPassword(email, password);
      return { ...userOut(user), sessions_revoked: sessionsRevoked };
    },
  },
  {
    path: ['user', 'list'],
    usage: 'user list                               console users',
    options: {},
    run: async ({ services }) => (await services.users.list()).map(userOut),
  },
];
