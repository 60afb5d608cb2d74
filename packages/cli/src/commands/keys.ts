import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Medledger } from '@medledger/server';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { ExitCode } from '../errors.js';
import { serverConfig } from './start.js';
import { stderrLogger } from './verify.js';

interface RotateOptions {
  readonly retire?: boolean;
}

type Vault = ReturnType<Medledger['network']['vault']>;

/** Opens the data directory in this process (the server must be stopped: it holds the directory's lock). */
async function withMedledger<T>(ctx: Context, work: (medledger: Medledger) => Promise<T>): Promise<T> {
  if (ctx.options.url !== undefined) {
    throw usageError('keys works on the data directory in this process (stop the server): --url does not apply');
  }
  const dataDir = ctx.dataDir();
  if (!existsSync(join(dataDir, 'ledger'))) {
    throw usageError(`no Medledger data in ${dataDir} (no ledger/ directory): pass --data-dir`);
  }
  const config = serverConfig({ ...ctx.env, MEDLEDGER_DATA_DIR: dataDir, MEDLEDGER_DEMO: 'false' });
  if (config.vaultKek !== undefined) {
    throw usageError(
      'MEDLEDGER_VAULT_KEK is set: the vaults use that configured key, not key rings in the data directory, and ' +
        'keys rotate only rotates generated rings (docs/operations.md, "Keys")',
    );
  }
  let medledger: Medledger;
  try {
    medledger = await Medledger.open(config, { log: stderrLogger(ctx) });
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(EXIT.failure, `cannot open ${dataDir}: ${reason}`, { cause: error });
  }
  try {
    return await work(medledger);
  } finally {
    await medledger.close();
  }
}

function vaults(medledger: Medledger): [string, Vault][] {
  return medledger.network.organizations.map((mspId) => [mspId, medledger.network.vault(mspId)]);
}

async function rotate(ctx: Context, options: RotateOptions): Promise<ExitCode> {
  const results = await withMedledger(ctx, async (medledger) => {
    const rows = [];
    for (const [mspId, vault] of vaults(medledger)) {
      const rotation = await vault.rotateKek();
      const retired = options.retire === true ? await vault.retireUnusedKeks() : [];
      rows.push({ organization: mspId, ...rotation, retired });
    }
    return rows;
  });
  const failed = results.reduce((sum, row) => sum + row.failed.length, 0);
  if (ctx.out.json) ctx.out.data(results);
  else {
    ctx.out.table(
      ['ORGANISATION', 'NEW KEK', 'RE-WRAPPED DATA KEYS', 'HMAC KEYS', 'FAILED', 'RETIRED'],
      results.map((row) => [
        row.organization,
        row.kekId,
        String(row.rewrappedDataKeys),
        String(row.rewrappedHmacKeys),
        String(row.failed.length),
        row.retired.length === 0 ? '–' : row.retired.join(', '),
      ]),
    );
    for (const row of results) {
      for (const cursor of row.failed) {
        ctx.out.line(
          `  ${ctx.out.color.red('✗')} ${row.organization}: record ${cursor.recordId} version ${cursor.version}: its data key did not unwrap; it stays on its old KEK`,
        );
      }
    }
    if (options.retire !== true) {
      ctx.out.line(
        'Old KEKs are kept until `medledger keys rotate --retire` (or `keys list` shows they wrap nothing).',
      );
    }
  }
  return failed === 0 ? EXIT.ok : EXIT.failure;
}

async function listKeys(ctx: Context): Promise<undefined> {
  const rows = await withMedledger(ctx, async (medledger) => {
    const out = [];
    for (const [mspId, vault] of vaults(medledger)) {
      for (const usage of await vault.kekUsage()) out.push({ organization: mspId, ...usage });
    }
    return out;
  });
  if (ctx.out.json) ctx.out.data(rows);
  else {
    ctx.out.table(
      ['ORGANISATION', 'KEK', 'VERSION', 'CURRENT', 'DATA KEYS', 'HMAC KEYS'],
      rows.map((row) => [
        row.organization,
        row.available ? row.kekId : `${row.kekId} (MISSING)`,
        row.version === undefined ? '?' : String(row.version),
        row.current ? 'yes' : '',
        String(row.dataKeys),
        String(row.hmacKeys),
      ]),
    );
  }
  return undefined;
}

export const registerKeys: CommandRegistration = (program, wrap) => {
  const keys = examples(
    program
      .command('keys')
      .summary("the vaults' key-encryption keys: list, rotate (in-process; stop the server first)")
      .description(
        "each custodian organisation's vault key ring (KEKs in <data>/vault/<MSP>/vault-keys, or " +
          '<data>/vault-keys/<MSP> with PostgreSQL); works in-process on --data-dir while the server is stopped',
      ),
    ['medledger keys list --data-dir ./data', 'medledger keys rotate --data-dir ./data --retire'],
  );
  examples(
    keys
      .command('list')
      .description('every KEK of every vault: version, current or not, how many data keys and HMAC keys it wraps')
      .action(wrap((ctx) => listKeys(ctx))),
    ['medledger keys list --data-dir ./data', "medledger keys list --json | jq '.[] | select(.current)'"],
  );
  examples(
    keys
      .command('rotate')
      .description(
        'a new KEK for every vault; every data key and HMAC key is re-wrapped under it (ciphertexts untouched). ' +
          'Exit 1 if a wrapped key failed to unwrap (it stays on its old KEK, which is then kept)',
      )
      .option('--retire', 'then destroy every old KEK that no longer wraps anything')
      .action(wrap<RotateOptions>((ctx, _args, options) => rotate(ctx, options))),
    ['medledger keys rotate --data-dir ./data', 'medledger keys rotate --data-dir /srv/medledger --retire --json'],
  );
};
