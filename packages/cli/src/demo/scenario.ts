// What the demo does after the import, in this process as each person (the way `provisionDemo` creates alice and
// bob): patient logins, consents of every kind, access requests (pending, approved, denied), one break-glass, one
// approved study. Every step is a contract transaction signed by that person's own enrolled identity.
import { randomBytes } from 'node:crypto';
import type { Medledger } from '@medledger/server';
import { createApprovedStudy, DEMO_PASSWORD } from '@medledger/server';
import { ApiClient } from '../api-client.js';
import type { Json } from '../json.js';
import type { Progress } from '../progress.js';
import type { DemoConsentKind } from './consents.js';
import {
  paymentConsent,
  researchConsent,
  researchOptOut,
  treatmentConsent,
  treatmentExceptSensitiveConsent,
} from './consents.js';
import type { DemoPatient, Hospital } from './population.js';
import { HOSPITALS } from './population.js';

type Caller = Parameters<Medledger['consents']['create']>[0];

/** The types the demo study analyses, and that research consents open to it. */
export const STUDY_TYPES = ['Observation', 'Condition', 'MedicationRequest'] as const;

export interface ScenarioResult {
  readonly logins: readonly { readonly username: string; readonly patient: string; readonly name: string }[];
  readonly consents: Record<DemoConsentKind | 'from-approved-request', number>;
  readonly accessRequests: { pending: number; approved: number; denied: number };
  readonly breakGlass: { readonly grantId: string; readonly clinician: string; readonly patient: string };
  readonly study: { readonly id: string; readonly status: string; readonly resourceTypes: readonly string[] };
}

function callerFor(medledger: Medledger, username: string): Caller {
  const account = medledger.accounts.get(username);
  if (account === undefined) throw new Error(`demo account ${username} is missing`);
  const purposes: Readonly<Record<string, string>> = {
    clinician: 'TREAT',
    patient: 'PATRQT',
    insurer: 'HPAYMT',
    researcher: 'HRESCH',
    'public-health': 'PUBHLTH',
  };
  return {
    account,
    purpose: (purposes[account.role] ?? 'HOPERAT') as Caller['purpose'],
    requestId: randomBytes(16).toString('hex'),
    scope: 'user/*.cruds',
  };
}

/** `patient001`… : the login of the synthetic patient at `index`. */
export function patientLogin(index: number): string {
  return `patient${String(index + 1).padStart(3, '0')}`;
}

const other = (hospital: Hospital): Hospital => (hospital.mspId === HOSPITALS[0].mspId ? HOSPITALS[1] : HOSPITALS[0]);
const id = (reference: string): string => reference.replace(/^Patient\//, '');

/** A date `days` after the network's clock, as FHIR writes dates. */
function daysFrom(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

class Scenario {
  readonly consents: ScenarioResult['consents'] = {
    treatment: 0,
    'treatment-except-sensitive': 0,
    payment: 0,
    research: 0,
    'opt-out': 0,
    'from-approved-request': 0,
  };
  readonly requests = { pending: 0, approved: 0, denied: 0 };

  constructor(private readonly medledger: Medledger) {}

  get inAYear(): string {
    return daysFrom(this.medledger.clock(), 365);
  }

  async consent(username: string, kind: DemoConsentKind, resource: Json): Promise<void> {
    await this.medledger.consents.create(callerFor(this.medledger, username), resource);
    this.consents[kind] += 1;
  }

  async request(username: string, patient: string, body: Json): Promise<string> {
    const created = await this.medledger.access.requestAccess(callerFor(this.medledger, username), {
      patient: id(patient),
      ...body,
    });
    this.requests.pending += 1;
    return created.id;
  }

  async respond(patientLogin: string, requestId: string, decision: 'approve' | 'deny'): Promise<void> {
    await this.medledger.access.respond(callerFor(this.medledger, patientLogin), requestId, decision, {});
    this.requests.pending -= 1;
    this.requests[decision === 'approve' ? 'approved' : 'denied'] += 1;
    if (decision === 'approve') this.consents['from-approved-request'] += 1;
  }

  /** A login for a synthetic patient at its home hospital (what `users add --role patient` does). */
  async login(patient: DemoPatient): Promise<string> {
    const username = patientLogin(patient.index);
    const entry = this.medledger.patients.entry(id(patient.reference));
    if (entry === undefined) throw new Error(`${patient.reference} was not registered`);
    await this.medledger.accounts.create({
      username,
      displayName: patient.name === '' ? username : patient.name,
      mspId: patient.hospital.mspId,
      role: 'patient',
      password: DEMO_PASSWORD,
      demo: true,
      patient: { patientId: entry.patientId, uid: entry.uid, homeOrg: entry.homeOrg },
    });
    return username;
  }

  /**
   * Patient i's consents, by pattern: i mod 4 picks treatment access for the other hospital (0: its clinicians for
   * four types until next year, 1: its clinician in person except sensitive data, 2: the whole organisation, 3: none —
   * that patient gets an access request instead); i mod 3 ≠ 2 lets the insurer see claims; i mod 5 picks research
   * (opt-in, except 4: an opt-out).
   */
  async consentsOf(patient: DemoPatient, username: string): Promise<'needs-request' | undefined> {
    const { reference, hospital, index } = patient;
    const away = other(hospital);
    const kind = index % 4;
    if (kind === 0) {
      const types = ['Observation', 'Condition', 'MedicationRequest', 'Immunization'];
      await this.consent(
        username,
        'treatment',
        treatmentConsent(reference, `Group/${away.mspId}-clinician`, types, this.inAYear),
      );
    } else if (kind === 1) {
      await this.consent(
        username,
        'treatment-except-sensitive',
        treatmentExceptSensitiveConsent(reference, `Practitioner/${away.clinician}`),
      );
    } else if (kind === 2) {
      await this.consent(username, 'treatment', treatmentConsent(reference, `Organization/${away.mspId}`));
    }
    if (index % 3 !== 2) await this.consent(username, 'payment', paymentConsent(reference));
    if (index % 5 === 4) await this.consent(username, 'opt-out', researchOptOut(reference));
    else await this.consent(username, 'research', researchConsent(reference, STUDY_TYPES, this.inAYear));
    return kind === 3 ? 'needs-request' : undefined;
  }

  /** The other hospital's clinician asks; the first such patient approves, the second denies, the rest wait. */
  async requestFor(patient: DemoPatient, username: string, nth: number): Promise<void> {
    const requestId = await this.request(other(patient.hospital).clinician, patient.reference, {
      purpose: 'TREAT',
      resourceTypes: ['Observation', 'Condition', 'MedicationRequest'],
      periodEnd: this.inAYear,
      reasonCode: 'referral',
      reason: 'Referred for a cardiology opinion',
    });
    if (nth === 0) await this.respond(username, requestId, 'approve');
    else if (nth === 1) await this.respond(username, requestId, 'deny');
  }

  /** alice and bob: a payment consent each, research for alice, a pending request to alice from dr.house. */
  async namedPatients(): Promise<{ alice: string; bob: string }> {
    const alice = this.patientOf('alice');
    const bob = this.patientOf('bob');
    await this.consent('alice', 'payment', paymentConsent(alice));
    await this.consent('alice', 'research', researchConsent(alice, STUDY_TYPES, this.inAYear));
    await this.consent('bob', 'payment', paymentConsent(bob));
    await this.request('dr.house', alice, {
      purpose: 'TREAT',
      resourceTypes: ['Observation', 'Condition'],
      periodEnd: this.inAYear,
      reasonCode: 'second-opinion',
      reason: 'Second opinion on blood pressure treatment',
    });
    await this.request('claims.ivy', alice, {
      purpose: 'HPAYMT',
      resourceTypes: ['Claim', 'Coverage'],
      reasonCode: 'payment-claim',
      reason: 'Claim review',
    });
    return { alice, bob };
  }

  patientOf(username: string): string {
    const patientId = this.medledger.accounts.get(username)?.patientId;
    if (patientId === undefined) throw new Error(`demo patient ${username} is missing`);
    return `Patient/${patientId}`;
  }

  /**
   * dr.grey (HospitalA) breaks the glass for bob (HospitalB, no consent for HospitalA) and reads his conditions under
   * ETREAT over the API: the grant is flagged to bob and waits for HospitalA's privacy officer.
   */
  async breakGlass(baseUrl: string, bob: string): Promise<ScenarioResult['breakGlass']> {
    const grant = await this.medledger.access.breakGlass(callerFor(this.medledger, 'dr.grey'), {
      patient: id(bob),
      reason: 'Unconscious patient brought to the emergency department; no consent on file',
      reasonCode: 'unconscious-patient',
    });
    const api = new ApiClient(baseUrl, await ApiClient.login(baseUrl, 'dr.grey', DEMO_PASSWORD));
    await api.get('/fhir/Condition', { query: { patient: bob }, headers: { 'X-Purpose-Of-Use': 'ETREAT' } });
    return { grantId: grant.id, clinician: 'dr.grey', patient: bob };
  }

  /**
   * res.rosa proposes a study and irb.ines approves it, through the server's StudyService (`createApprovedStudy`):
   * the same path as `POST /api/studies` and its decision, so the study is in the server's study list (the web
   * portal's) and both steps are ledger transactions signed by each person's own identity.
   */
  async study(): Promise<ScenarioResult['study']> {
    const study = await createApprovedStudy(this.medledger, {
      researcher: 'res.rosa',
      ethics: 'irb.ines',
      protocol: 'Medledger demo study: blood pressure, BMI and diabetes (observational, de-identified)',
      epsilonBudget: 1,
      resourceTypes: STUDY_TYPES,
      periodEnd: this.inAYear,
    });
    return { id: study.id, status: study.status, resourceTypes: study.resourceTypes };
  }
}

/**
 * Runs the demo's story on an open Medledger whose API listens on `baseUrl`, for the imported `patients`;
 * `progress` advances once per synthetic patient.
 */
export async function runScenario(
  medledger: Medledger,
  baseUrl: string,
  patients: readonly DemoPatient[],
  progress: Progress,
): Promise<ScenarioResult> {
  const scenario = new Scenario(medledger);
  const logins: { username: string; patient: string; name: string }[] = [];
  const waiting = new Map<string, number>();
  for (const patient of patients) {
    const username = await scenario.login(patient);
    logins.push({ username, patient: patient.reference, name: patient.name });
    if ((await scenario.consentsOf(patient, username)) === 'needs-request') {
      const nth = waiting.get(patient.hospital.mspId) ?? 0;
      waiting.set(patient.hospital.mspId, nth + 1);
      await scenario.requestFor(patient, username, nth);
    }
    progress.advance(1);
  }
  const { bob } = await scenario.namedPatients();
  const breakGlass = await scenario.breakGlass(baseUrl, bob);
  const study = await scenario.study();
  return { logins, consents: scenario.consents, accessRequests: scenario.requests, breakGlass, study };
}
