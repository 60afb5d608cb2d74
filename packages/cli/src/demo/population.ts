// The demo's synthetic population: the analytics package's seeded, Synthea-shaped generator, sent through the same
// import path as `medledger import` (planImport → transaction Bundles → POST /fhir as a clinician of the patient's
// hospital), so the demo exercises the real write path: validation, encryption, one ledger transaction per Bundle.
import { bundleResources, generatePatientBundle } from '@medledger/analytics';
import { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../errors.js';
import { emptySummary, planImport } from '../fhir-import.js';
import type { ImportSummary, SourceResource } from '../fhir-import.js';
import { Sender } from '../commands/import.js';
import type { Json } from '../json.js';
import { array, object, text } from '../json.js';
import type { Progress } from '../progress.js';

/** The hospitals the population is spread over, and the clinician whose account imports each one's patients. */
export const HOSPITALS = [
  { mspId: 'HospitalAMSP', clinician: 'dr.grey', admin: 'admin.hospa', privacyOfficer: 'po.hospa' },
  { mspId: 'HospitalBMSP', clinician: 'dr.house', admin: 'admin.hospb', privacyOfficer: 'po.hospb' },
] as const;

export type Hospital = (typeof HOSPITALS)[number];

/** One imported synthetic patient. */
export interface DemoPatient {
  /** Its position in the seeded population (patient i is the same whatever the count). */
  readonly index: number;
  /** `Patient/pt-…` */
  readonly reference: string;
  readonly hospital: Hospital;
  readonly name: string;
}

/** Patient i's home hospital: even indexes at HospitalA, odd at HospitalB. */
export function hospitalOf(index: number): Hospital {
  return HOSPITALS[index % 2] ?? HOSPITALS[0];
}

function sources(index: number, seed: string): SourceResource[] {
  return bundleResources(generatePatientBundle({ seed }, index)).map((resource) => ({
    source: `synthetic patient ${index}`,
    fullUrl: `urn:uuid:${String(resource.id)}`,
    resource,
  }));
}

function nameOf(resource: Json): string {
  const name = object(array(resource.name)[0]);
  const given = Array.isArray(name.given) ? (name.given as unknown[]) : [];
  return [text(given[0]), text(name.family)].filter((part) => part !== '').join(' ');
}

export interface PopulationResult {
  readonly patients: readonly DemoPatient[];
  readonly summary: ImportSummary;
}

/**
 * Generates `count` patients from `seed` and imports each at its hospital over HTTP (`baseUrl`), signed in as that
 * hospital's clinician with `password`. Any refused transaction stops the demo (exit 1): its data are generated to be
 * valid, so a refusal is a bug, not bad input.
 */
export async function importPopulation(
  baseUrl: string,
  password: string,
  options: { readonly count: number; readonly seed: string; readonly progress: Progress },
): Promise<PopulationResult> {
  const summary = emptySummary();
  const patients: DemoPatient[] = [];
  for (const hospital of HOSPITALS) {
    const indexes = Array.from({ length: options.count }, (_, i) => i).filter((i) => hospitalOf(i) === hospital);
    const login = (): Promise<string> => ApiClient.login(baseUrl, hospital.clinician, password);
    const api = new ApiClient(baseUrl, await login(), login);
    for (const index of indexes) {
      const plans = planImport(sources(index, options.seed), summary);
      const onPatient = (plan: (typeof plans)[number], created: ReadonlyMap<string, string>): void => {
        const first = plan.chunks[0]?.[0];
        const reference = first === undefined ? undefined : created.get(first.key);
        if (first?.type !== 'Patient' || reference === undefined) return;
        patients.push({ index, reference, hospital, name: nameOf(first.resource) });
      };
      await new Sender(api, summary, options.progress, 1, onPatient).send(plans);
    }
  }
  summary.files = 0;
  if (summary.problems.length > 0) {
    throw new CliError(EXIT.failure, `the synthetic population was refused: ${summary.problems[0] ?? ''}`);
  }
  return { patients: patients.sort((a, b) => a.index - b.index), summary };
}

/** How many resources `count` patients make (for the progress bar), without sending anything. */
export function populationSize(count: number, seed: string): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (const plan of planImport(sources(i, seed), emptySummary())) total += plan.size;
  }
  return total;
}
