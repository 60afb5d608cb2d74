import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { reference } from '../references.js';

/** An account as `/api/admin/users` shows it (never its password hash). */
export interface AccountView {
  readonly username: string;
  readonly displayName: string;
  readonly kind: string;
  readonly mspId: string;
  readonly role: string;
  readonly patientId?: string;
  readonly status: string;
  readonly createdAt: string;
}

interface AddOptions {
  readonly role: string;
  readonly name?: string;
  readonly patient?: string;
  readonly system?: boolean;
  readonly passwordStdin?: boolean;
}

async function list(ctx: Context): Promise<undefined> {
  const accounts = await (await ctx.api()).get<AccountView[]>('/api/admin/users');
  if (ctx.out.json) {
    ctx.out.data(accounts);
    return undefined;
  }
  ctx.out.table(
    ['USERNAME', 'ROLE', 'KIND', 'STATUS', 'NAME', 'PATIENT'],
    accounts.map((a) => [
      a.username,
      a.role,
      a.kind,
      a.status === 'active' ? a.status : ctx.out.color.red(a.status),
      a.displayName,
      a.patientId === undefined ? '' : `Patient/${a.patientId}`,
    ]),
  );
  ctx.out.line(
    `${accounts.length} account${accounts.length === 1 ? '' : 's'} in ${accounts[0]?.mspId ?? 'the organisation'}`,
  );
  return undefined;
}

/** The new account's password: stdin (--password-stdin), MEDLEDGER_NEW_PASSWORD, or asked twice on a terminal. */
async function newPassword(ctx: Context, username: string, options: AddOptions): Promise<string> {
  if (options.passwordStdin === true) {
    const text = (await ctx.deps.readStdin()).replace(/\r?\n$/, '');
    if (text === '') throw usageError('--password-stdin: standard input was empty');
    return text;
  }
  const fromEnv = ctx.env.MEDLEDGER_NEW_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!ctx.deps.interactive) {
    throw usageError(
      `a password for ${username}: use --password-stdin, set MEDLEDGER_NEW_PASSWORD, or run on a terminal (or --system)`,
    );
  }
  const first = await ctx.deps.prompt(`New password for ${username}: `, { hidden: true });
  const second = await ctx.deps.prompt('Repeat it: ', { hidden: true });
  if (first !== second) throw new CliError(EXIT.usage, 'the two passwords differ');
  return first;
}

async function add(ctx: Context, username: string, options: AddOptions): Promise<undefined> {
  if (options.system === true && options.passwordStdin === true) {
    throw usageError('a system account has no password (it signs client assertions): drop --password-stdin');
  }
  const api = await ctx.api();
  const body = {
    username,
    displayName: options.name ?? username,
    role: options.role,
    ...(options.patient === undefined ? {} : { patient: reference(options.patient, 'Patient') }),
    ...(options.system === true ? { kind: 'system' } : { password: await newPassword(ctx, username, options) }),
  };
  const account = await api.post<AccountView>('/api/admin/users', body);
  if (ctx.out.json) ctx.out.data(account);
  else {
    ctx.out.line(
      `${ctx.out.color.green('added')} ${account.username} (${account.role}${account.kind === 'system' ? ', system client' : ''}) at ${account.mspId}: identity enrolled at the organisation's CA`,
    );
  }
  return undefined;
}

async function revoke(ctx: Context, username: string): Promise<undefined> {
  const result = await (
    await ctx.api()
  ).post<{ username: string; status: string }>(`/api/admin/users/${encodeURIComponent(username)}/revoke`);
  if (ctx.out.json) ctx.out.data(result);
  else
    ctx.out.line(
      `${ctx.out.color.red('revoked')} ${result.username}: its certificate is revoked and its tokens stop working`,
    );
  return undefined;
}

export const registerUsers: CommandRegistration = (program, wrap) => {
  const users = examples(
    program.command('users').description("an organisation's accounts (as one of its administrators)"),
    [
      'medledger users list --user admin.hospa',
      'printf "%s" "$PW" | medledger users add dr.quinn --role clinician --name "Dr. Quinn" --password-stdin --user admin.hospa',
      'medledger users revoke dr.quinn --user admin.hospa',
    ],
  );
  examples(
    users
      .command('list')
      .description("list the organisation's accounts")
      .action(wrap((ctx) => list(ctx))),
    ['medledger users list --user admin.hospa', 'medledger users list --user admin.hospb --json'],
  );
  examples(
    users
      .command('add <username>')
      .description("add a person (or a system client) and enroll its identity at the organisation's CA")
      .requiredOption(
        '--role <role>',
        'patient | clinician | insurer | researcher | ethics | public-health | privacy-officer | admin',
      )
      .option('--name <display name>', 'the name shown in the directory (default: the username)')
      .option('--patient <Patient/id>', 'for --role patient: the registered patient this login belongs to')
      .option('--system', 'a system client (SMART Backend Services: private_key_jwt, no password)')
      .option('--password-stdin', 'read the new password from standard input (else MEDLEDGER_NEW_PASSWORD or a prompt)')
      .action(wrap<AddOptions>((ctx, [username = ''], options) => add(ctx, username, options))),
    [
      'medledger users add dr.quinn --role clinician --name "Dr. Quinn" --user admin.hospa   # asks for the password',
      'MEDLEDGER_NEW_PASSWORD=… medledger users add carol --role patient --patient Patient/pt-… --user admin.hospa',
      'medledger users add lab-feed --role clinician --system --user admin.hospa',
    ],
  );
  examples(
    users
      .command('revoke <username>')
      .description('revoke an account: its certificate is revoked on the ledger and its tokens stop working')
      .action(wrap((ctx, [username = '']) => revoke(ctx, username))),
    ['medledger users revoke dr.quinn --user admin.hospa'],
  );
};
