import type { ApiClient } from '../api-client.js';
import { examples } from '../command.js';
import type { CommandRegistration } from '../command.js';
import type { Context } from '../context.js';
import { array, object, text } from '../json.js';
import type { Json } from '../json.js';
import { patientOrSelf } from '../references.js';

const PAGE = 200;

const OUTCOMES: Readonly<Record<string, string>> = {
  '0': 'permitted',
  '4': 'partial',
  '8': 'denied',
  '12': 'failed',
};

function firstCode(concepts: unknown): string | undefined {
  const code = object(array(object(array(concepts)[0]).coding)[0]).code;
  return typeof code === 'string' ? code : undefined;
}

/** Every AuditEvent about the patient the caller may see, following the search's pages. */
export async function auditTrail(api: ApiClient, patient: string): Promise<Json[]> {
  const events: Json[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const bundle = await api.get('/fhir/AuditEvent', { query: { patient, _count: PAGE, _offset: offset } });
    const page = array(bundle.entry).map((entry) => object(entry.resource));
    events.push(...page);
    if (page.length < PAGE) return events;
  }
}

/** One table row: when, who (role, organisation), what kind of access, the outcome, the purpose, how many records. */
export function auditRow(event: Json): string[] {
  const [person = {}, organisation = {}] = array(event.agent);
  const role = firstCode(person.role);
  const org = text(object(organisation.who).reference).replace(/^Organization\//, '');
  const who = `${text(object(person.who).reference, '?')}${role === undefined ? '' : ` (${role}${org === '' ? '' : `, ${org}`})`}`;
  const kind = text(object(array(object(event.meta).tag)[0]).code, text(object(event.type).code));
  const outcome = OUTCOMES[text(event.outcome)] ?? text(event.outcome);
  const records = array(event.entity).filter((entity) => object(entity.type).code === '2').length;
  return [text(event.recorded), who, kind, outcome, firstCode(event.purposeOfEvent) ?? '', String(records)];
}

async function audit(ctx: Context, given: string | undefined): Promise<undefined> {
  const patient = await patientOrSelf(ctx, given);
  const events = await auditTrail(await ctx.api(), patient);
  if (ctx.out.json) {
    ctx.out.data(events);
    return undefined;
  }
  const { color } = ctx.out;
  ctx.out.table(
    ['RECORDED', 'WHO', 'KIND', 'OUTCOME', 'PURPOSE', 'RECORDS'],
    events.map((event) => {
      const row = auditRow(event);
      const outcome = row[3] ?? '';
      row[3] =
        outcome === 'permitted'
          ? color.green(outcome)
          : outcome === 'denied'
            ? color.red(outcome)
            : color.yellow(outcome);
      if (row[2] === 'break-glass-start') row[2] = color.red(row[2]);
      return row;
    }),
  );
  ctx.out.line(`${events.length} audit event${events.length === 1 ? '' : 's'} for ${patient} (newest first)`);
  return undefined;
}

export const registerAudit: CommandRegistration = (program, wrap) => {
  examples(
    program
      .command('audit [patient]')
      .summary("a patient's access log from the ledger (table or --json)")
      .description(
        "a patient's access log from the ledger: every read, search, denial, consent change and break-glass " +
          '(patients see their own; privacy officers their organisation’s)',
      )
      .action(wrap((ctx, [patient]) => audit(ctx, patient))),
    [
      'medledger audit --user alice                         # your own log',
      'medledger audit Patient/pt-… --user po.hospa         # as the privacy officer',
      'medledger audit --user alice --json | jq \'[.[] | select(.outcome == "8")]\'',
    ],
  );
};
