import { examples, list } from '../command.js';
import type { CommandRegistration } from '../command.js';
import { SYSTEM } from '../code-systems.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { array, object, text } from '../json.js';
import type { Json } from '../json.js';
import { fhirDate, patientOrSelf, reference, resourceTypes } from '../references.js';

/** The recipients a consent may name (FHIR-CONVENTIONS §0): a role at an organisation, an organisation, a person. */
const ACTOR = /^(Group\/[A-Za-z0-9]+-[a-z-]+|Organization\/[A-Za-z0-9]+|Practitioner\/[A-Za-z0-9._@-]+)$/;

export interface GrantOptions {
  readonly to: readonly string[];
  readonly types?: readonly string[];
  readonly purpose?: readonly string[];
  readonly action?: string;
  readonly from?: string;
  readonly until?: string;
  readonly deny?: boolean;
  readonly patient?: string;
}

function checkRecipients(to: readonly string[]): void {
  if (to.length === 0) throw usageError('--to needs at least one recipient');
  const bad = to.find((actor) => !ACTOR.test(actor));
  if (bad !== undefined) {
    throw usageError(
      `--to ${JSON.stringify(bad)}: expected Group/<MSP>-<role> (e.g. Group/HospitalBMSP-clinician), Organization/<MSP> or Practitioner/<login>`,
    );
  }
}

function checkPurposes(purposes: readonly string[]): void {
  const bad = purposes.find((purpose) => !/^[A-Z]{3,10}$/.test(purpose));
  if (bad !== undefined) throw usageError(`--purpose: ${JSON.stringify(bad)} is not a purpose code (e.g. TREAT)`);
}

function period(options: GrantOptions): Json | undefined {
  if (options.from === undefined && options.until === undefined) return undefined;
  return {
    ...(options.from === undefined ? {} : { start: fhirDate(options.from, '--from') }),
    ...(options.until === undefined ? {} : { end: fhirDate(options.until, '--until') }),
  };
}

/**
 * A Consent in the shape of FHIR-CONVENTIONS §1.1: (a) opt-in, a base deny with one nested permit for the actors,
 * types, purposes and period; or with `deny` (e) an opt-out, a base deny for those actors (policyRule OPTOUT).
 */
export function buildConsent(patient: string, options: GrantOptions): Json {
  checkRecipients(options.to);
  const purposes = options.purpose ?? ['TREAT'];
  checkPurposes(purposes);
  const types = resourceTypes(options.types ?? [], '--types');
  const when = period(options);
  const rule: Json = {
    ...(when === undefined ? {} : { period: when }),
    actor: options.to.map((actor) => ({
      role: { coding: [{ system: SYSTEM.participationType, code: 'IRCP' }] },
      reference: { reference: actor },
    })),
    action: [{ coding: [{ system: SYSTEM.consentAction, code: options.action ?? 'access' }] }],
    purpose: purposes.map((code) => ({ system: SYSTEM.actReason, code })),
    ...(types.length === 0 ? {} : { class: types.map((code) => ({ system: SYSTEM.resourceTypes, code })) }),
  };
  const deny = options.deny === true;
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: SYSTEM.consentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: SYSTEM.loinc, code: '59284-0' }] }],
    patient: { reference: patient },
    policyRule: { coding: [{ system: SYSTEM.actCode, code: deny ? 'OPTOUT' : 'OPTIN' }] },
    provision: deny ? { type: 'deny', ...rule } : { type: 'deny', provision: [{ type: 'permit', ...rule }] },
  };
}

function codes(items: unknown, pick: (item: Json) => unknown): string[] {
  return array(items)
    .map(pick)
    .filter((code): code is string => typeof code === 'string');
}

function joined(items: readonly string[], prefix: string, empty = ''): string {
  return items.length === 0 ? empty : `${prefix}${items.join(', ')}`;
}

/** One line per provision: "permit Group/HospitalBMSP-clinician: Observation for TREAT until 2026-12-31". */
export function describeProvision(provision: Json): string[] {
  const actors = codes(provision.actor, (actor) => object(actor.reference).reference);
  const classes = codes(provision.class, (item) => item.code);
  const labels = codes(provision.securityLabel, (item) => item.code);
  const when = object(provision.period);
  const own =
    `${text(provision.type)} ${joined(actors, '', 'anyone')}: ${joined(classes, '', 'all types')}` +
    joined(labels, ' labelled ') +
    joined(
      codes(provision.purpose, (item) => item.code),
      ' for ',
    ) +
    joined(typeof when.start === 'string' ? [when.start] : [], ' from ') +
    joined(typeof when.end === 'string' ? [when.end] : [], ' until ');
  const nested = array(provision.provision);
  // A bare base deny around nested rules says nothing on its own line.
  const bareBase = nested.length > 0 && actors.length + classes.length + labels.length === 0;
  return [...(bareBase ? [] : [own]), ...nested.flatMap((child) => describeProvision(child))];
}

async function listConsents(ctx: Context): Promise<undefined> {
  const bundle = await (await ctx.api()).get('/fhir/Consent', { query: { _count: 200 } });
  const consents = array(bundle.entry).map((entry) => object(entry.resource));
  if (ctx.out.json) {
    ctx.out.data(consents);
    return undefined;
  }
  ctx.out.table(
    ['ID', 'STATUS', 'SINCE', 'RULES'],
    consents.flatMap((consent) => {
      const rules = describeProvision(object(consent.provision));
      const status = text(consent.status);
      return rules.map((rule, i) => [
        i === 0 ? text(consent.id) : '',
        i === 0 ? (status === 'active' ? ctx.out.color.green(status) : ctx.out.color.dim(status)) : '',
        i === 0 ? text(consent.dateTime) : '',
        rule,
      ]);
    }),
  );
  ctx.out.line(`${consents.length} consent${consents.length === 1 ? '' : 's'}`);
  return undefined;
}

async function grant(ctx: Context, options: GrantOptions): Promise<undefined> {
  const patient = await patientOrSelf(ctx, options.patient);
  const consent = buildConsent(patient, options);
  const created = await (await ctx.api()).post('/fhir/Consent', consent);
  if (ctx.out.json) ctx.out.data(created);
  else {
    ctx.out.line(`${ctx.out.color.green('granted')} Consent/${text(created.id)} for ${patient}:`);
    for (const rule of describeProvision(object(created.provision))) ctx.out.line(`  ${rule}`);
  }
  return undefined;
}

async function revoke(ctx: Context, id: string): Promise<undefined> {
  const target = reference(id, 'Consent');
  const outcome = await (await ctx.api()).delete(`/fhir/${target}`);
  if (ctx.out.json) ctx.out.data(outcome);
  else
    ctx.out.line(
      `${ctx.out.color.red('revoked')} ${target}: it no longer permits anything (its history stays on the ledger)`,
    );
  return undefined;
}

export const registerConsent: CommandRegistration = (program, wrap) => {
  const consent = examples(program.command('consent').description("the signed-in patient's consents"), [
    'medledger consent list --user alice',
    'medledger consent grant --to Group/HospitalBMSP-clinician --types Observation,Condition --until 2026-12-31 --user alice',
    'medledger consent revoke c-… --user alice',
  ]);
  examples(
    consent
      .command('list')
      .description('list your consents, active and revoked, with their rules')
      .action(wrap((ctx) => listConsents(ctx))),
    ['medledger consent list --user alice', 'medledger consent list --user alice --json'],
  );
  examples(
    consent
      .command('grant')
      .description('give a recipient access to your records (a FHIR Consent: base deny with one permit)')
      .requiredOption(
        '--to <recipient>',
        'Group/<MSP>-<role>, Organization/<MSP> or Practitioner/<login>; repeat or separate with commas',
        list,
      )
      .option('--types <types>', 'resource types, e.g. Observation,Condition (default: all types)', list)
      .option(
        '--purpose <codes>',
        'purposes of use (HL7 v3 ActReason): TREAT (default), HPAYMT, HRESCH, PUBHLTH…',
        list,
      )
      .option('--action <action>', 'access (default) | use | disclose | collect | correct')
      .option('--from <date>', 'valid from (e.g. 2026-01-01)')
      .option('--until <date>', 'valid until (e.g. 2026-12-31)')
      .option('--deny', 'an opt-out instead: refuse these recipients (deny wins over any permit)')
      .option('--patient <Patient/id>', 'the patient (default: the signed-in patient)')
      .action(wrap<GrantOptions>((ctx, _args, options) => grant(ctx, options))),
    [
      'medledger consent grant --to Group/HospitalBMSP-clinician --types Observation --until 2026-12-31 --user alice',
      'medledger consent grant --to Organization/InsurerMSP --types Claim,Coverage --purpose HPAYMT --user alice',
      'medledger consent grant --to Practitioner/dr.house --user alice            # everything, for treatment',
      'medledger consent grant --deny --to Organization/HospitalAMSP --user alice # opt out of one organisation',
    ],
  );
  examples(
    consent
      .command('revoke <id>')
      .description('revoke a consent (Consent/id or id); it stays on the ledger as inactive')
      .action(wrap((ctx, [id = '']) => revoke(ctx, id))),
    ['medledger consent revoke c-3f2a… --user alice'],
  );
};
