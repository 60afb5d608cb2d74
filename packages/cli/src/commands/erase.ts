import { errorText } from '../api-client.js';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { reference } from '../references.js';

interface EraseOptions {
  readonly patientRequest?: string;
  readonly yes?: boolean;
}

/** Erasure cannot be undone: a person confirms on a terminal; a script must say --yes. */
async function confirm(ctx: Context, target: string, options: EraseOptions): Promise<void> {
  if (options.yes === true) return;
  if (!ctx.deps.interactive) throw usageError(`erasing ${target} cannot be undone: confirm with --yes`);
  const answer = await ctx.deps.prompt(
    `Erase ${target}? Its data key and ciphertext are destroyed for good (the audit trail stays). Type "erase" to confirm: `,
    { hidden: false },
  );
  if (answer.trim() !== 'erase') throw new CliError(EXIT.failure, 'not erased');
}

async function erase(ctx: Context, text: string, options: EraseOptions): Promise<undefined> {
  const target = reference(text);
  if (target.startsWith('Consent/'))
    throw usageError('a consent is revoked, not erased: medledger consent revoke <id>');
  const request = options.patientRequest;
  if (request?.trim() === '') throw usageError('--patient-request needs the text of the request');
  // It travels as an HTTP header (X-Patient-Request): printable ASCII only.
  if (request !== undefined && !/^[\x20-\x7e]*$/.test(request)) {
    throw usageError(
      '--patient-request must be printable ASCII (a reference to the request, e.g. "letter 2026-11-02 ref 7781")',
    );
  }
  const api = await ctx.api();
  await confirm(ctx, target, options);
  const outcome = await api.delete(`/fhir/${target}`, {
    ...(request === undefined ? {} : { headers: { 'x-patient-request': request } }),
  });
  if (ctx.out.json) ctx.out.data(outcome);
  else ctx.out.line(errorText(outcome, `${target} erased`));
  return undefined;
}

export const registerErase: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('erase <Type/id>')
      .summary('crypto-shred a record (the audit trail stays)')
      .description(
        "crypto-shred a record: its data key and ciphertext are destroyed and an erasure receipt goes on the ledger. By the patient, or by the custodian's privacy officer or administrator with the patient's request",
      )
      .option(
        '--patient-request <text>',
        "custodian staff: the patient's erasure request (only a keyed hash goes on the ledger)",
      )
      .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
      .action(wrap<EraseOptions>((ctx, [target = ''], options) => erase(ctx, target, options))),
    [
      'medledger erase Observation/r-… --user alice',
      'medledger erase Condition/r-… --patient-request "letter of 2026-11-02, ref 7781" --yes --user po.hospa',
    ],
  );
};
