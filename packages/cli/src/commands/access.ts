import { examples, list } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { fhirDate, reference, resourceTypes } from '../references.js';

/** An access request as `/api/access-requests` returns it. */
export interface AccessRequestView {
  readonly id: string;
  readonly patientId: string;
  readonly requester: { readonly mspId: string; readonly role: string; readonly uid: string };
  readonly purpose: string;
  readonly resourceTypes: readonly string[];
  readonly periodEnd?: string;
  readonly reasonCode: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

interface RequestOptions {
  readonly patient: string;
  readonly types?: readonly string[];
  readonly purpose?: string;
  readonly until?: string;
  readonly reasonCode?: string;
  readonly reason?: string;
}

interface ApproveOptions {
  readonly types?: readonly string[];
  readonly until?: string;
}

const REQUEST_ID = /^ar-[0-9a-f]{24}$/;

function requestId(text: string): string {
  if (!REQUEST_ID.test(text))
    throw usageError(`not an access request id: ${JSON.stringify(text)} (expected ar- and 24 hex digits)`);
  return text;
}

function describe(ctx: Context, request: AccessRequestView): string {
  const types = request.resourceTypes.length === 0 ? 'all types' : request.resourceTypes.join(', ');
  const who = `${request.requester.uid} (${request.requester.role}, ${request.requester.mspId})`;
  return `${request.id} ${ctx.out.color.bold(request.status)}: ${who} asks Patient/${request.patientId} for ${types} for ${request.purpose}${request.periodEnd === undefined ? '' : ` until ${request.periodEnd}`}`;
}

async function requestAccess(ctx: Context, options: RequestOptions): Promise<undefined> {
  const body = {
    patient: reference(options.patient, 'Patient'),
    ...(options.types === undefined ? {} : { resourceTypes: resourceTypes(options.types, '--types') }),
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
    ...(options.until === undefined ? {} : { periodEnd: fhirDate(options.until, '--until') }),
    ...(options.reasonCode === undefined ? {} : { reasonCode: options.reasonCode }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
  const created = await (await ctx.api()).post<AccessRequestView>('/api/access-requests', body);
  if (ctx.out.json) ctx.out.data(created);
  else ctx.out.line(`${ctx.out.color.green('requested')} ${describe(ctx, created)}; the patient decides`);
  return undefined;
}

async function respond(
  ctx: Context,
  id: string,
  decision: 'approve' | 'deny',
  options: ApproveOptions,
): Promise<undefined> {
  const body =
    decision === 'deny'
      ? {}
      : {
          ...(options.types === undefined ? {} : { resourceTypes: resourceTypes(options.types, '--types') }),
          ...(options.until === undefined ? {} : { periodEnd: fhirDate(options.until, '--until') }),
        };
  const path = `/api/access-requests/${encodeURIComponent(requestId(id))}/${decision}`;
  const answer = await (await ctx.api()).post<{ request: AccessRequestView; consent?: { id: string } }>(path, body);
  if (ctx.out.json) ctx.out.data(answer);
  else {
    ctx.out.line(describe(ctx, answer.request));
    if (answer.consent !== undefined) ctx.out.line(`  the contract wrote Consent/${answer.consent.id}`);
  }
  return undefined;
}

async function listRequests(ctx: Context): Promise<undefined> {
  const requests = await (await ctx.api()).get<AccessRequestView[]>('/api/access-requests');
  if (ctx.out.json) {
    ctx.out.data(requests);
    return undefined;
  }
  ctx.out.table(
    ['ID', 'STATUS', 'PATIENT', 'REQUESTER', 'PURPOSE', 'TYPES', 'UNTIL', 'ASKED'],
    requests.map((r) => [
      r.id,
      r.status === 'pending' ? ctx.out.color.yellow(r.status) : r.status,
      `Patient/${r.patientId}`,
      `${r.requester.uid} (${r.requester.role}, ${r.requester.mspId})`,
      r.purpose,
      r.resourceTypes.length === 0 ? 'all' : r.resourceTypes.join(','),
      r.periodEnd ?? '',
      r.createdAt,
    ]),
  );
  ctx.out.line(`${requests.length} request${requests.length === 1 ? '' : 's'}`);
  return undefined;
}

export const registerAccess: CommandRegistration = (program, wrap) => {
  const access = examples(
    program
      .command('access')
      .description('access requests: a clinician, insurer or researcher asks; the patient decides'),
    [
      'medledger access request --patient Patient/pt-… --types Observation --reason-code referral --user dr.house',
      'medledger access list --user alice',
      'medledger access approve ar-… --user alice',
    ],
  );
  examples(
    access
      .command('request')
      .description('ask a patient for access to their records')
      .requiredOption('--patient <Patient/id>', 'the patient')
      .option('--types <types>', 'resource types, e.g. Observation,Condition (default: all)', list)
      .option('--purpose <code>', "purpose of use (default: the role's, e.g. TREAT for clinicians)")
      .option('--until <date>', 'how long the access should last (e.g. 2026-12-31)')
      .option(
        '--reason-code <code>',
        'referral | continuity-of-care (default) | second-opinion | payment-claim | prior-authorization | research-study | public-health-report',
      )
      .option('--reason <text>', 'free text for the patient (kept off the ledger, sealed)')
      .action(wrap<RequestOptions>((ctx, _args, options) => requestAccess(ctx, options))),
    [
      'medledger access request --patient Patient/pt-… --types Observation,Condition --until 2026-12-31 --reason-code referral --reason "cardiology referral" --user dr.house',
    ],
  );
  examples(
    access
      .command('list')
      .description('requests to you (patient) or made by you (requester)')
      .action(wrap((ctx) => listRequests(ctx))),
    ['medledger access list --user alice', 'medledger access list --user dr.house --json'],
  );
  examples(
    access
      .command('approve <id>')
      .description('approve a request (optionally narrower); the contract writes the consent')
      .option('--types <types>', 'grant only these resource types', list)
      .option('--until <date>', 'grant only until this date')
      .action(wrap<ApproveOptions>((ctx, [id = ''], options) => respond(ctx, id, 'approve', options))),
    [
      'medledger access approve ar-… --user alice',
      'medledger access approve ar-… --types Observation --until 2026-06-30 --user alice',
    ],
  );
  examples(
    access
      .command('deny <id>')
      .description('deny a request')
      .action(wrap((ctx, [id = '']) => respond(ctx, id, 'deny', {}))),
    ['medledger access deny ar-… --user alice'],
  );
};
