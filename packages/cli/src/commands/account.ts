import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import type { WhoAmI } from '../references.js';

async function whoami(ctx: Context): Promise<undefined> {
  const me = await (await ctx.api()).get<WhoAmI>('/api/whoami');
  if (ctx.out.json) ctx.out.data(me);
  else {
    ctx.out.line(`${me.username} (${me.displayName}): ${me.role} at ${me.organization}, purpose ${me.defaultPurpose}`);
    if (me.patient !== undefined) ctx.out.line(`patient: ${me.patient}`);
  }
  return undefined;
}

async function token(ctx: Context): Promise<undefined> {
  const api = await ctx.api();
  if (ctx.out.json) ctx.out.data({ access_token: api.token });
  else ctx.out.line(api.token ?? '');
  return undefined;
}

export const registerAccount: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('whoami')
      .description('the signed-in account: organisation, role, default purpose, own Patient reference')
      .action(wrap((ctx) => whoami(ctx))),
    ['medledger whoami --user dr.grey', 'MEDLEDGER_TOKEN=eyJ… medledger whoami --json'],
  );
  examples(
    program
      .command('token')
      .description('sign in and print an access token (for MEDLEDGER_TOKEN or curl)')
      .action(wrap((ctx) => token(ctx))),
    [
      'export MEDLEDGER_TOKEN=$(medledger token --user alice)',
      'curl -H "Authorization: Bearer $(medledger token --user dr.grey)" localhost:8080/api/whoami',
    ],
  );
};
