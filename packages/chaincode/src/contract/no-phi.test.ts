/**
 * DESIGN principle 1: no PHI on the ledger. Real (synthetic) patients from Synthea FHIR R4 bundles are pushed
 * through every transaction, once the way the API is meant to call the contract (pseudonymous ids, hashes, codes and
 * clinical dates) and many times the way a careless or malicious client might (names as ids, identifiers as codes,
 * addresses in free-text elements, birth dates in date fields, PHI hidden behind a duplicate JSON key, query
 * transactions submitted with PHI arguments...). A transaction that receives PHI must reject it (then nothing is
 * committed) or commit none of it, and a rejection's message must not repeat it (errors may be logged). Finally
 * everything a block and the world state would hold is scanned for every PHI string of every patient, with the usual
 * normalisations (case, phone and SSN digits, birth-date formats).
 *
 * A vector marked `knownLeak` is PHI the contract accepts and commits; such vectors run on a separate ledger as `todo`
 * tests so that the suite stays usable while each one stays visible. None is marked now: the findings F1–F9 of the
 * first run (ids in any shape, client-chosen ids, unvalidated Coding/Reference members, ignored Consent elements, open
 * vocabularies, a study ending in the past, duplicate JSON keys, free-text bookmarks, unchecked argument counts) are
 * rejected by the contract, and the vectors below say which finding each one covers.
 *
 * Not covered, because no contract can tell them apart: a clinical date (or a consent's dataPeriod) that equals the
 * birth date, such as the newborn's birth encounter (left out of the Synthea selection, see synthea-phi.ts), and
 * a number-only code (SNOMED CT, RxNorm) that happens to spell an identifier.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SYSTEMS } from '@medledger/core';
import { consentResource, createMedledgerFixture, fhir, sha256, testRequestId } from '../testing/medledger-fixture.js';
import type { MedledgerFixture } from '../testing/medledger-fixture.js';
import { rewriteAuditIntoLegacyLayout } from '../testing/legacy-audit-layout.js';
import { describeFindings, findPhi, identifierOf, loadSyntheaPatients, phiNeedles } from '../testing/synthea-phi.js';
import type { ClinicalResource, PhiNeedle, SyntheaPatient } from '../testing/synthea-phi.js';
import { testPatientUid } from '../testing/test-ca.js';
import type { TestIdentity } from '../testing/test-ca.js';

/** A handful of bundles with different features: an apostrophe and a maiden name, a newborn, no postal code... */
const BUNDLES = ["Felipa_O'Keefe_", 'Dannie_Kshlerin_', 'Michele_Wolf_', 'Abdul_Koepp_', 'Malcolm_Dach_'];
const PER_TYPE = { Observation: 3, Condition: 2, Encounter: 2, Claim: 1 } as const;

type Org = 'HospitalAMSP' | 'HospitalBMSP';

interface Staff {
  readonly clinician: Readonly<Record<Org, TestIdentity>>;
  readonly admin: Readonly<Record<Org, TestIdentity>>;
  readonly privacyOfficer: Readonly<Record<Org, TestIdentity>>;
  readonly drB: TestIdentity;
  readonly insurer: TestIdentity;
  readonly researcher: TestIdentity;
  readonly ethics: TestIdentity;
  readonly publicHealth: TestIdentity;
}

/** One Synthea patient on the ledger, with the PHI a careless client has at hand. */
interface Subject {
  readonly syn: SyntheaPatient;
  readonly tag: string;
  readonly identity: TestIdentity;
  readonly patientId: string;
  readonly home: Org;
  readonly recordIds: readonly string[];
  readonly consentId: string;
  readonly pendingRequestId: string;
  readonly pendingGrantId: string;
  readonly phi: {
    readonly given: string;
    readonly family: string;
    readonly fullName: string;
    readonly nameToken: string;
    readonly birthDate: string;
    readonly address: string;
    readonly city: string;
    readonly phone: string;
    readonly mrn: string;
    readonly ssn: string;
    readonly dl: string;
    readonly passport: string;
  };
}

interface Ledger {
  readonly f: MedledgerFixture;
  readonly staff: Staff;
  readonly subjects: readonly Subject[];
  readonly studyId: string;
  readonly proposedStudyId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Legitimate use: what the API server sends
// ---------------------------------------------------------------------------------------------------------------

/** A pseudonymous id the server derives (here from data the server holds off-chain). */
const pseudonym = (prefix: string, ...parts: string[]): string => `${prefix}-${sha256(parts.join('\n')).slice(0, 24)}`;

/** The off-chain side of a record: AES-256-GCM ciphertext hash and a keyed hash of the plaintext. */
function recordHashes(resource: ClinicalResource, custodian: Org): { ciphertextSha256: string; plaintextHmac: string } {
  const dataKey = Buffer.from(sha256(`data key ${resource.id}`), 'hex');
  const cipher = createCipheriv('aes-256-gcm', dataKey, Buffer.alloc(12, 7));
  const ciphertext = Buffer.concat([cipher.update(resource.json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    ciphertextSha256: sha256(ciphertext.toString('latin1')),
    plaintextHmac: createHmac('sha256', `${custodian} hmac key`).update(resource.json).digest('hex'),
  };
}

function recordInput(
  resource: ClinicalResource,
  patientId: string,
  custodian: Org,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    recordId: pseudonym('r', resource.id),
    patientId,
    resourceType: resource.resourceType,
    category: resource.category,
    securityLabels: resource.resourceType === 'Condition' ? [fhir.sensitivity('PSY')] : [],
    codes: resource.codes,
    clinicalDate: resource.clinicalDate,
    // The encounter's own record id: the server derives every record id the same way.
    related: resource.encounterId === undefined ? [] : [`Encounter/${pseudonym('r', resource.encounterId)}`],
    ...recordHashes(resource, custodian),
    ...extra,
  };
}

const LEGIT_CHILD = {
  type: 'permit',
  period: { end: '2026-12-31' },
  actor: [fhir.actor('Group/HospitalBMSP-clinician')],
  action: [fhir.action('access')],
  purpose: [fhir.purpose('TREAT')],
  class: [fhir.type('Observation'), fhir.type('Condition')],
};

/** An opt-in consent (FHIR-CONVENTIONS example a), optionally with careless additions at each level. */
function legitConsent(
  s: Subject,
  careless: { envelope?: Record<string, unknown>; child?: Record<string, unknown>; id?: string } = {},
): Record<string, unknown> {
  return {
    ...consentResource(
      s.patientId,
      {
        type: 'deny',
        provision: [
          { ...LEGIT_CHILD, ...careless.child },
          { type: 'deny', securityLabel: [fhir.confidentiality('R')] },
        ],
      },
      careless.id === undefined ? {} : { id: careless.id },
    ),
    ...careless.envelope,
  };
}

async function staffFor(f: MedledgerFixture): Promise<Staff> {
  const both = async (role: string, uid: string): Promise<Record<Org, TestIdentity>> => ({
    HospitalAMSP: await f.id('HospitalAMSP', role, `${uid}-a`),
    HospitalBMSP: await f.id('HospitalBMSP', role, `${uid}-b`),
  });
  return {
    clinician: await both('clinician', 'dr'),
    admin: await both('admin', 'adm'),
    privacyOfficer: await both('privacy-officer', 'po'),
    drB: await f.id('HospitalBMSP', 'clinician', 'dr-b'),
    insurer: await f.id('InsurerMSP', 'insurer', 'ins-1'),
    researcher: await f.id('ResearchMSP', 'researcher', 'res-1'),
    ethics: await f.id('ResearchMSP', 'ethics', 'irb-1'),
    publicHealth: await f.id('HealthAuthorityMSP', 'public-health', 'ph-1'),
  };
}

function phiOf(syn: SyntheaPatient): Subject['phi'] {
  const name = syn.names[0]!;
  const given = name.given[0]!;
  const required = (value: string | undefined, what: string): string => {
    if (value === undefined) throw new Error(`${syn.file} has no ${what}`);
    return value;
  };
  return {
    given,
    family: name.family,
    fullName: `${given} ${name.family}`,
    nameToken: `${given}.${name.family}`.replace(/[^A-Za-z.]/g, '').toLowerCase(),
    birthDate: syn.birthDate,
    address: required(syn.addressLines[0], 'address line'),
    city: required(syn.cities[0], 'city'),
    phone: required(syn.phones[0], 'phone'),
    mrn: required(identifierOf(syn, 'MR'), 'MRN'),
    ssn: required(identifierOf(syn, 'SS'), 'SSN'),
    dl: identifierOf(syn, 'DL') ?? required(identifierOf(syn, 'SS'), 'SSN'),
    passport: identifierOf(syn, 'PPN') ?? required(identifierOf(syn, 'MR'), 'MRN'),
  };
}

/** Runs one patient through every transaction the way the API server does. */
async function onboard(f: MedledgerFixture, staff: Staff, syn: SyntheaPatient, index: number, studyId: string) {
  const home: Org = index % 2 === 0 ? 'HospitalAMSP' : 'HospitalBMSP';
  const clinician = staff.clinician[home];
  // The enrolment uid is pseudonymous (the CA maps the login to it); the contract refuses any other patient uid.
  const uid = testPatientUid(syn.file);
  const identity = await f.id(home, 'patient', uid);
  // Patients either enrol themselves or are registered by their hospital, always under a pseudonymous login uid.
  const registered =
    index % 3 === 0
      ? await f.submit<{ patientId: string }>(clinician, 'RegisterPatient', { patientUid: uid })
      : await f.submit<{ patientId: string }>(identity, 'RegisterPatient', {});
  const patientId = registered.patientId;
  // The first record alone, the others as one batch (what the API does with a FHIR transaction Bundle).
  const [first, ...rest] = syn.clinical;
  await f.submit(clinician, 'RegisterRecord', recordInput(first!, patientId, home));
  await f.submit(clinician, 'RegisterRecords', {
    records: rest.map((resource) => recordInput(resource, patientId, home)),
  });
  const recordIds = syn.clinical.map((resource) => pseudonym('r', resource.id));
  const subject: Omit<Subject, 'consentId' | 'pendingRequestId' | 'pendingGrantId'> = {
    syn,
    tag: String(index),
    identity,
    patientId,
    home,
    recordIds,
    phi: phiOf(syn),
  };
  const draft = { ...subject, consentId: '', pendingRequestId: '', pendingGrantId: '' };

  // Consents: opt-in for the other hospital, research opt-in, an objection, one revoked.
  const optIn = await f.submit<{ id: string }>(identity, 'PutConsent', legitConsent(draft));
  await f.submit(
    identity,
    'PutConsent',
    consentResource(patientId, {
      type: 'deny',
      provision: [
        {
          type: 'permit',
          actor: [fhir.actor('Organization/ResearchMSP')],
          action: [fhir.action('use')],
          purpose: [fhir.purpose('HRESCH')],
          dataPeriod: { start: '2000-01-01' },
        },
      ],
    }),
  );
  const objection = await f.submit<{ id: string }>(
    identity,
    'PutConsent',
    consentResource(
      patientId,
      { type: 'deny', actor: [fhir.actor('Organization/InsurerMSP')], purpose: [fhir.purpose('HPAYMT')] },
      { policyRule: 'OPTOUT' },
    ),
  );
  await f.submit(identity, 'RevokeConsent', { consentId: objection.id });

  // Access requests: the insurer's is approved narrower, another is denied, a third stays pending.
  const reasonHash = sha256(`Claim review for ${subject.phi.fullName}, DOB ${syn.birthDate}`);
  const insurerRequest = await f.submit<{ id: string }>(staff.insurer, 'RequestAccess', {
    patientId,
    purpose: 'HPAYMT',
    resourceTypes: ['Claim', 'Encounter'],
    reasonCode: 'payment-claim',
    reasonHash,
  });
  await f.submit(identity, 'RespondToAccessRequest', {
    requestId: insurerRequest.id,
    decision: 'approve',
    resourceTypes: ['Claim'],
    periodEnd: '2025-09-30',
  });
  const drBRequest = await f.submit<{ id: string }>(staff.drB, 'RequestAccess', {
    patientId,
    purpose: 'TREAT',
    sensitiveLabels: [fhir.sensitivity('PSY')],
    reasonCode: 'second-opinion',
  });
  await f.submit(identity, 'RespondToAccessRequest', { requestId: drBRequest.id, decision: 'deny' });
  const pending = await f.submit<{ id: string }>(staff.drB, 'RequestAccess', {
    patientId,
    purpose: 'TREAT',
    resourceTypes: ['Observation'],
    reasonCode: 'referral',
    reasonHash: sha256(`Referral letter for ${subject.phi.fullName}`),
  });

  // Reads: treatment, the other hospital under consent, payment, the patient themself, break-glass.
  await f.submit(clinician, 'AuthorizeAccess', { patientId, purpose: 'TREAT', requestId: testRequestId(`${index}-1`) });
  await f.submit(staff.drB, 'AuthorizeAccess', { patientId, purpose: 'TREAT', interaction: 'search' });
  await f.submit(staff.insurer, 'AuthorizeAccess', { patientId, purpose: 'HPAYMT', resourceTypes: ['Claim'] });
  await f.submit(identity, 'AuthorizeAccess', { patientId, purpose: 'PATRQT', recordIds: recordIds.slice(0, 2) });
  const grant = await f.submit<{ id: string }>(staff.drB, 'BreakGlass', {
    patientId,
    reasonHash: sha256(`${subject.phi.fullName} found unresponsive at ${subject.phi.address}`),
    reasonCode: 'unconscious-patient',
  });
  await f.submit(staff.drB, 'AuthorizeAccess', { patientId, purpose: 'ETREAT', interaction: 'read' });
  await f.submit(staff.privacyOfficer[home], 'ReviewEmergencyAccess', {
    grantId: grant.id,
    patientId,
    outcome: 'justified',
    noteHash: sha256(`Reviewed chart of ${subject.phi.fullName}`),
  });
  await f.submit(identity, 'RevokeEmergencyAccess', { grantId: grant.id });
  const secondGrant = await f.submit<{ id: string }>(staff.drB, 'BreakGlass', {
    patientId,
    reasonHash: sha256('second emergency'),
  });

  // Erasure: by the patient, and by the custodian's admin on the patient's written request.
  await f.submit(identity, 'EraseRecord', { recordId: recordIds.at(-1)! });
  await f.submit(staff.admin[home], 'EraseRecord', {
    recordId: recordIds.at(-2)!,
    patientRequestHash: sha256(`Erasure request signed by ${subject.phi.fullName}`),
  });
  await f.submit(staff.researcher, 'AuthorizeCohort', { patientIds: [patientId], purpose: 'HRESCH', studyId });
  return {
    ...subject,
    recordIds: recordIds.slice(0, -2),
    consentId: optIn.id,
    pendingRequestId: pending.id,
    pendingGrantId: secondGrant.id,
  };
}

async function createLedger(syntheaPatients: readonly SyntheaPatient[]): Promise<Ledger> {
  const f = await createMedledgerFixture();
  const staff = await staffFor(f);
  await f.submit(staff.admin.HospitalBMSP, 'SetEmergencyPolicy', { durationMinutes: 120 });
  const propose = (protocol: string) =>
    f.submit<{ id: string }>(staff.researcher, 'ProposeStudy', {
      resourceTypes: ['Observation', 'Condition', 'Encounter'],
      protocolHash: sha256(protocol),
      epsilonBudget: 3,
      periodEnd: '2027-12-31',
    });
  const studyId = (await propose('Hypertension cohort protocol v1')).id;
  await f.submit(staff.ethics, 'DecideStudy', { studyId, decision: 'approve' });
  const rejected = (await propose('Rejected protocol')).id;
  await f.submit(staff.ethics, 'DecideStudy', { studyId: rejected, decision: 'reject' });
  const proposedStudyId = (await propose('Pending protocol')).id;
  const subjects: Subject[] = [];
  for (const [index, syn] of syntheaPatients.entries()) subjects.push(await onboard(f, staff, syn, index, studyId));
  const everyone = subjects.map((s) => s.patientId);
  await f.submit(staff.researcher, 'AuthorizeCohort', { patientIds: everyone, purpose: 'HRESCH', studyId });
  const programme = (
    await f.submit<{ id: string }>(staff.publicHealth, 'ProposeStudy', {
      purpose: 'PUBHLTH',
      resourceTypes: ['Observation', 'Condition'],
      protocolHash: sha256('Influenza surveillance programme'),
      epsilonBudget: 3,
    })
  ).id;
  await f.submit(staff.ethics, 'DecideStudy', { studyId: programme, decision: 'approve' });
  await f.submit(staff.publicHealth, 'AuthorizeCohort', {
    patientIds: everyone,
    purpose: 'PUBHLTH',
    studyId: programme,
  });
  await f.submit(staff.researcher, 'SpendPrivacyBudget', { studyId, epsilon: 0.5, queryHash: sha256('count(*)') });
  // The server's start after an upgrade: the audit events so far, as the previous version indexed them, are moved.
  const legacy = rewriteAuditIntoLegacyLayout(f.harness.state);
  const migrate = (): Promise<{ migrated: number; remaining: boolean }> =>
    f.submit(staff.admin.HospitalAMSP, 'MigrateAuditIndexes', { pageSize: 100 });
  let run = await migrate();
  let migrated = run.migrated;
  while (run.remaining) {
    run = await migrate();
    migrated += run.migrated;
  }
  assert.equal(migrated, legacy, 'the migration moved every event, so its writes are scanned');
  return { f, staff, subjects, studyId, proposedStudyId };
}

// ---------------------------------------------------------------------------------------------------------------
// Careless and malicious use
// ---------------------------------------------------------------------------------------------------------------

/** A string input is sent as the raw argument text (for JSON tricks); anything else as JSON; undefined as no argument. */
type Argument = unknown;

interface Vector {
  readonly name: string;
  readonly tx: string;
  readonly who: (l: Ledger, s: Subject) => TestIdentity;
  /** The same call without the PHI; it must succeed, so that a rejection of `careless` is about the PHI. */
  readonly legit?: (l: Ledger, s: Subject) => Argument;
  readonly careless: (l: Ledger, s: Subject) => Argument;
  /** Set, with the reason, when the contract commits this PHI (the vector then runs as a `todo` test). */
  readonly knownLeak?: string;
}

const patient = (_l: Ledger, s: Subject): TestIdentity => s.identity;
const homeClinician = (l: Ledger, s: Subject): TestIdentity => l.staff.clinician[s.home];
const drB = (l: Ledger): TestIdentity => l.staff.drB;
const insurer = (l: Ledger): TestIdentity => l.staff.insurer;
const researcher = (l: Ledger): TestIdentity => l.staff.researcher;

const firstResource = (s: Subject): ClinicalResource => s.syn.clinical[0]!;

/** Hides `value` under a duplicate JSON key: JSON.parse keeps the last value, the block keeps the text. */
function duplicateKey(input: Record<string, unknown>, key: string, value: string): string {
  const text = JSON.stringify(input);
  const member = `"${key}":`;
  const at = text.indexOf(member);
  assert.ok(at > 0, `${key} is in the input`);
  return `${text.slice(0, at)}${member}${JSON.stringify(value)},${text.slice(at)}`;
}

function requestInput(s: Subject): Record<string, unknown> {
  return { patientId: s.patientId, purpose: 'HPAYMT', resourceTypes: ['Claim'], reasonCode: 'payment-claim' };
}

function breakGlassInput(s: Subject): Record<string, unknown> {
  return { patientId: s.patientId, reasonHash: sha256('emergency'), reasonCode: 'urgent-care' };
}

function reviewInput(s: Subject): Record<string, unknown> {
  return { grantId: s.pendingGrantId, patientId: s.patientId, outcome: 'unjustified', noteHash: sha256('note') };
}

const digitsOf = (text: string): string => text.replace(/\D/g, '');

/** Fills `$NAME`-style placeholders with the subject's PHI, anywhere in a JSON-like value. */
function fill(value: unknown, s: Subject): unknown {
  if (typeof value === 'string') {
    return value
      .replaceAll('$NAMETOKEN', s.phi.nameToken)
      .replaceAll('$NAME', s.phi.fullName)
      .replaceAll('$ADDRESS', `${s.phi.address}, ${s.phi.city}`)
      .replaceAll('$PHONE', s.phi.phone)
      .replaceAll('$BIRTHDATE', s.phi.birthDate)
      .replaceAll('$MRN', s.phi.mrn)
      .replaceAll('$SSN', s.phi.ssn)
      .replaceAll('$DL', s.phi.dl)
      .replaceAll('$PASSPORT', s.phi.passport)
      .replaceAll('$CITY', s.phi.city.replace(/[^A-Za-z]/g, ''));
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, s));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [fill(key, s) as string, fill(item, s)]));
  }
  return value;
}

/** A RegisterRecord of a new record (own id per vector) with careless fields; placeholders are filled. */
function recordVector(label: string, careless: Record<string, unknown>, knownLeak?: string): Vector {
  const input = (s: Subject, extra: Record<string, unknown>) =>
    recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', label, s.tag), ...extra });
  return {
    name: `RegisterRecord with ${label}`,
    tx: 'RegisterRecord',
    who: homeClinician,
    legit: (_l, s) => input(s, {}),
    careless: (_l, s) => {
      const extra = fill(careless, s) as Record<string, unknown>;
      // `$CODE` stands for the resource's real code, to which the careless part is added.
      const codes = extra.codes as Array<Record<string, unknown>> | undefined;
      return input(s, codes ? { ...extra, codes: codes.map((c) => ({ ...firstResource(s).codes[0], ...c })) } : extra);
    },
    ...(knownLeak === undefined ? {} : { knownLeak }),
  };
}

/** A RegisterRecords batch of two new records (own ids per vector), the second with careless fields. */
function batchVector(label: string, careless: Record<string, unknown>): Vector {
  const item = (s: Subject, n: number, extra: Record<string, unknown> = {}) =>
    recordInput(s.syn.clinical[n]!, s.patientId, s.home, {
      recordId: pseudonym('r', `batch ${label} ${String(n)}`, s.tag),
      ...extra,
    });
  return {
    name: `RegisterRecords with ${label}`,
    tx: 'RegisterRecords',
    who: homeClinician,
    legit: (_l, s) => ({ records: [item(s, 0), item(s, 1)] }),
    careless: (_l, s) => ({ records: [item(s, 0), item(s, 1, fill(careless, s) as Record<string, unknown>)] }),
  };
}

type ConsentCareless = { envelope?: Record<string, unknown>; child?: Record<string, unknown>; id?: string };

function consentVector(label: string, careless: ConsentCareless, knownLeak?: string): Vector {
  return {
    name: `PutConsent with ${label}`,
    tx: 'PutConsent',
    who: patient,
    legit: (_l, s) => legitConsent(s),
    careless: (_l, s) => legitConsent(s, fill(careless, s) as ConsentCareless),
    ...(knownLeak === undefined ? {} : { knownLeak }),
  };
}

/** One vector per careless change of a legitimate input. */
function variants(
  tx: string,
  who: Vector['who'],
  legit: (l: Ledger, s: Subject) => Record<string, unknown>,
  changes: ReadonlyArray<readonly [string, Record<string, unknown>, string?]>,
): Vector[] {
  return changes.map(([label, change, knownLeak]) => ({
    name: `${tx} with ${label}`,
    tx,
    who,
    legit,
    careless: (l, s) => ({ ...legit(l, s), ...(fill(change, s) as Record<string, unknown>) }),
    ...(knownLeak === undefined ? {} : { knownLeak }),
  }));
}

const REFERENCE_DISPLAY = { reference: 'Group/HospitalBMSP-clinician', display: '$NAME' };
const REFERENCE_TYPE = { reference: 'Group/HospitalBMSP-clinician', type: '$NAME' };
const ACTOR_ROLE = fhir.actor('Group/HospitalBMSP-clinician').role;

const VECTORS: readonly Vector[] = [
  ...variants('RegisterPatient', homeClinician, (_l, s) => ({ patientUid: testPatientUid(`second login ${s.tag}`) }), [
    ['patientUid = the patient name', { patientUid: '$NAMETOKEN' }],
    ['patientUid = the MRN', { patientUid: '$MRN' }],
    ['patientUid = the SSN', { patientUid: '$SSN' }],
    ['patientUid = the full name with a space', { patientUid: '$NAME' }],
  ]),

  // F2: record ids are generated by the server (r- and 24 hex digits), also in `related` and `supersedes`.
  recordVector('recordId = the MRN', { recordId: '$MRN' }),
  recordVector('recordId = the phone', { recordId: '$PHONE' }),
  recordVector('related = Encounter/<MRN>', { related: ['Encounter/$MRN'] }),
  recordVector('supersedes = the SSN', { supersedes: '$SSN' }),
  recordVector('patientId = the MRN', { patientId: '$MRN' }),
  recordVector('the phone as category', { category: '$PHONE' }),
  // F5: categories and codes come from allow-lists (RECORD_CATEGORIES, CLINICAL_CODE_SYSTEMS, security labels).
  recordVector('a tel- prefixed phone as category', { category: 'tel-$PHONE' }),
  recordVector('the family name as category', { category: '$NAMETOKEN' }),
  recordVector('the SSN as a code', { codes: [{ system: 'http://hl7.org/fhir/sid/us-ssn', code: '$SSN' }] }),
  recordVector('the MRN as a code of a local system', {
    codes: [{ system: 'http://hospital.smarthealthit.org', code: '$MRN' }],
  }),
  recordVector('the name as a LOINC code', { codes: [{ system: SYSTEMS.loinc, code: '$NAMETOKEN' }] }),
  recordVector('the phone as a security label', { securityLabels: [{ system: SYSTEMS.actCode, code: 'tel-$PHONE' }] }),
  recordVector('a code display = the name', { codes: [{ display: '$NAME' }] }),
  // F3: Coding.version, Coding.userSelected and Reference.type are not accepted.
  recordVector('a coding version = the name', { codes: [{ version: '$NAME' }] }),
  recordVector('a coding userSelected = the phone', { codes: [{ userSelected: '$PHONE' }] }),
  recordVector('a note holding the address', { note: '$ADDRESS' }),
  recordVector('the Patient resource dated by the birth date', {
    resourceType: 'Patient',
    category: 'demographics',
    clinicalDate: '$BIRTHDATE',
  }),
  // F7: a member given twice (JSON.parse keeps the last value, the block keeps the text) is refused at any depth.
  {
    name: 'RegisterRecord with the address behind a duplicate JSON key',
    tx: 'RegisterRecord',
    who: homeClinician,
    legit: (_l, s) => recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', 'dup', s.tag) }),
    careless: (_l, s) =>
      duplicateKey(
        recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', 'dup', s.tag) }),
        'category',
        `${s.phi.address}, ${s.phi.city}`,
      ),
  },

  // A batch is checked item by item as RegisterRecord is, and as a whole.
  batchVector('a second record whose recordId = the MRN', { recordId: '$MRN' }),
  batchVector('a second record whose patientId = the SSN', { patientId: '$SSN' }),
  batchVector('a second record with a note holding the address', { note: '$ADDRESS' }),
  batchVector('a second record with the name as a LOINC code', {
    codes: [{ system: SYSTEMS.loinc, code: '$NAMETOKEN' }],
  }),
  batchVector('a second record dated by the birth date as a Patient resource', {
    resourceType: 'Patient',
    clinicalDate: '$BIRTHDATE',
  }),
  {
    name: 'RegisterRecords with the name as a record of the batch',
    tx: 'RegisterRecords',
    who: homeClinician,
    careless: (_l, s) => ({
      records: [
        recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', 'b1', s.tag) }),
        s.phi.fullName,
      ],
    }),
  },
  {
    name: 'RegisterRecords with the MRN beside the records',
    tx: 'RegisterRecords',
    who: homeClinician,
    careless: (_l, s) => ({
      records: [recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', 'b2', s.tag) })],
      mrn: s.phi.mrn,
    }),
  },
  {
    name: 'RegisterRecords with the address behind a duplicate JSON key',
    tx: 'RegisterRecords',
    who: homeClinician,
    careless: (_l, s) =>
      duplicateKey(
        { records: [recordInput(firstResource(s), s.patientId, s.home, { recordId: pseudonym('r', 'b3', s.tag) })] },
        'category',
        `${s.phi.address}, ${s.phi.city}`,
      ),
  },

  ...variants('EraseRecord', patient, (_l, s) => ({ recordId: s.recordIds[0] }), [
    ['recordId = the MRN', { recordId: '$MRN' }],
  ]),
  ...variants(
    'EraseRecord',
    (l, s) => l.staff.admin[s.home],
    (_l, s) => ({ recordId: s.recordIds[0], patientRequestHash: sha256('request') }),
    [['patientRequestHash = the SSN', { patientRequestHash: '$SSN' }]],
  ),

  consentVector('a reference display = the name', {
    child: { actor: [{ role: ACTOR_ROLE, reference: REFERENCE_DISPLAY }] },
  }),
  consentVector('a scope display = the name', {
    envelope: { scope: { coding: [{ system: SYSTEMS.consentScope, code: 'patient-privacy', display: '$NAME' }] } },
  }),
  consentVector('a narrative holding the address', {
    envelope: { text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">$ADDRESS</div>' } },
  }),
  consentVector('an extension holding the phone', {
    child: { extension: [{ url: 'http://example.org/fhir/contact', valueString: '$PHONE' }] },
  }),
  consentVector('a note holding the address', { envelope: { note: [{ text: '$ADDRESS' }] } }),
  consentVector('a modifierExtension holding the name', {
    child: { modifierExtension: [{ url: 'http://example.org/fhir/x', valueString: '$NAME' }] },
  }),
  consentVector('meta.tag display = the name', {
    envelope: { meta: { tag: [{ system: 'urn:x', code: 'x', display: '$NAME' }] } },
  }),
  // F4: members the contract fills itself (dateTime, performer, organization) or the API strips are refused.
  consentVector('meta.versionId = the name', { envelope: { meta: { versionId: '$NAMETOKEN' } } }),
  consentVector('meta.lastUpdated = the birth date', { envelope: { meta: { lastUpdated: '$BIRTHDATE' } } }),
  consentVector('dateTime = the birth date', { envelope: { dateTime: '$BIRTHDATE' } }),
  consentVector('performer = Patient/<MRN>', { envelope: { performer: [{ reference: 'Patient/$MRN' }] } }),
  consentVector('an organization named after the city', {
    envelope: { organization: [{ reference: 'Organization/$CITY-clinic' }] },
  }),
  consentVector('sourceReference = DocumentReference/<SSN>', {
    envelope: { sourceReference: { reference: 'DocumentReference/$SSN' } },
  }),
  consentVector('a policy.uri naming the patient and birth date', {
    envelope: { policy: [{ uri: 'urn:consent-form:$NAMETOKEN:$BIRTHDATE' }] },
  }),
  // F2: a consent id is made by the contract; a given id must be one of the patient's consents.
  consentVector('id = the MRN', { id: '$MRN' }),
  consentVector('Patient/<MRN> as the patient', { envelope: { patient: { reference: 'Patient/$MRN' } } }),
  // F5: category, code, actor and every other coded element come from allow-lists.
  consentVector('a category coding carrying the SSN', {
    envelope: {
      category: [
        {
          coding: [
            { system: SYSTEMS.loinc, code: '59284-0' },
            { system: 'http://hl7.org/fhir/sid/us-ssn', code: '$SSN' },
          ],
        },
      ],
    },
  }),
  consentVector('provision.code carrying the MRN', {
    child: { code: [{ coding: [{ system: 'http://hospital.smarthealthit.org', code: '$MRN' }] }] },
  }),
  consentVector('an actor RelatedPerson/<name>', { child: { actor: [fhir.actor('RelatedPerson/$NAMETOKEN')] } }),
  consentVector('the MRN as a further scope coding', {
    envelope: {
      scope: {
        coding: [
          { system: SYSTEMS.consentScope, code: 'patient-privacy' },
          { system: 'http://hospital.smarthealthit.org', code: '$MRN' },
        ],
      },
    },
  }),
  consentVector('the SSN as a further policyRule coding', {
    envelope: {
      policyRule: {
        coding: [
          { system: SYSTEMS.actCode, code: 'OPTIN' },
          { system: 'http://hl7.org/fhir/sid/us-ssn', code: '$SSN' },
        ],
      },
    },
  }),
  consentVector('the name as a further actor role coding', {
    child: {
      actor: [
        {
          role: { coding: [...ACTOR_ROLE.coding, { system: 'http://example.org/relationship', code: '$NAMETOKEN' }] },
          reference: { reference: 'Group/HospitalBMSP-clinician' },
        },
      ],
    },
  }),
  consentVector('a data reference to Observation/<MRN>', {
    child: { data: [{ meaning: 'instance', reference: { reference: 'Observation/$MRN' } }] },
  }),
  // F3
  consentVector('a purpose coding version = the name', {
    child: { purpose: [{ ...fhir.purpose('TREAT'), version: '$NAME' }] },
  }),
  consentVector('a purpose coding userSelected = the phone', {
    child: { purpose: [{ ...fhir.purpose('TREAT'), userSelected: '$PHONE' }] },
  }),
  consentVector('an actor reference type = the name', {
    child: { actor: [{ role: ACTOR_ROLE, reference: REFERENCE_TYPE }] },
  }),
  // F7
  {
    name: 'PutConsent with the name behind a duplicate JSON key',
    tx: 'PutConsent',
    who: patient,
    legit: (_l, s) => legitConsent(s),
    careless: (_l, s) => duplicateKey(legitConsent(s), 'status', s.phi.fullName),
  },

  ...variants('RevokeConsent', patient, (_l, s) => ({ consentId: s.consentId }), [
    ['consentId = the MRN', { consentId: '$MRN' }],
  ]),

  ...variants('RequestAccess', insurer, (_l, s) => requestInput(s), [
    ['reasonCode = the name', { reasonCode: '$NAME' }],
    ['reasonHash = the phone', { reasonHash: '$PHONE' }],
    ['a free-text reason with the name', { reason: 'Referral for $NAME' }],
    ['periodEnd = the birth date', { periodEnd: '$BIRTHDATE' }],
    ['patientId = the MRN', { patientId: '$MRN' }],
    ['resourceTypes = [the name]', { resourceTypes: ['$NAMETOKEN'] }],
  ]),
  ...variants(
    'RespondToAccessRequest',
    patient,
    (_l, s) => ({ requestId: s.pendingRequestId, decision: 'approve', periodEnd: '2025-12-31' }),
    [
      ['requestId = the SSN', { requestId: '$SSN' }],
      ['periodEnd = the birth date', { periodEnd: '$BIRTHDATE' }],
    ],
  ),
  ...variants('BreakGlass', drB, (_l, s) => breakGlassInput(s), [
    ['a free-text reason with the name', { reason: '$NAME collapsed at $ADDRESS' }],
    ['reasonCode = the name', { reasonCode: '$NAME' }],
    ['reasonHash = the name', { reasonHash: '$NAME' }],
    ['patientId = the MRN', { patientId: '$MRN' }],
  ]),
  ...variants(
    'ReviewEmergencyAccess',
    (l, s) => l.staff.privacyOfficer[s.home],
    (_l, s) => reviewInput(s),
    [
      ['noteHash = the address', { noteHash: '$ADDRESS' }],
      ['a free-text note with the address', { note: '$ADDRESS' }],
    ],
  ),
  ...variants('RevokeEmergencyAccess', patient, (_l, s) => ({ grantId: s.pendingGrantId }), [
    ['grantId = the MRN', { grantId: '$MRN' }],
    ['a free-text reason with the name', { reason: '$NAME is better now' }],
  ]),
  ...variants(
    'SetEmergencyPolicy',
    (l) => l.staff.admin.HospitalAMSP,
    () => ({ durationMinutes: 60 }),
    [['a note holding the address', { note: '$ADDRESS' }]],
  ),
  ...variants(
    'MigrateAuditIndexes',
    (l) => l.staff.admin.HospitalAMSP,
    () => ({ pageSize: 50 }),
    [
      ['a note holding the address', { note: '$ADDRESS' }],
      ['pageSize = the phone', { pageSize: '$PHONE' }],
    ],
  ),

  // F1: ids the ledger issues have a fixed pseudonymous form (pt-, st-, eg-, ar-, c-, ae- and 24 hex digits).
  // F2: requestId is the server's X-Request-Id (32 hex digits), recordIds are record ids.
  ...variants(
    'AuthorizeAccess',
    drB,
    (_l, s) => ({ patientId: s.patientId, purpose: 'TREAT', requestId: testRequestId('1') }),
    [
      ['patientId = the MRN', { patientId: '$MRN' }],
      ['patientId = the SSN', { patientId: '$SSN' }],
      ['studyId = the MRN', { studyId: '$MRN' }],
      ['requestId = the name', { requestId: '$NAMETOKEN' }],
      ['requestId = the phone', { requestId: '$PHONE' }],
      ["requestId = the driver's license", { requestId: '$DL' }],
      ['recordIds = [the MRN]', { recordIds: ['$MRN'] }],
      ['resourceTypes = [the name]', { resourceTypes: ['$NAME'] }],
      ['an extra member holding the name', { name: '$NAME' }],
      ['an extra member named after the patient', { $NAME: true }],
    ],
  ),
  ...variants(
    'AuthorizeCohort',
    researcher,
    (l, s) => ({ patientIds: [s.patientId], purpose: 'HRESCH', studyId: l.studyId }),
    [
      ['patientIds = [MRN, SSN]', { patientIds: ['$MRN', '$SSN'] }],
      ['requestId = the passport number', { requestId: '$PASSPORT' }],
    ],
  ),

  ...variants(
    'ProposeStudy',
    researcher,
    () => ({ resourceTypes: ['Observation'], protocolHash: sha256('protocol'), epsilonBudget: 1 }),
    [
      ['protocolHash = the name', { protocolHash: '$NAME' }],
      ['a title holding the name', { title: 'Case study of $NAME' }],
      // F6: a study cannot end in the past (a birth date is always in the past).
      ['periodEnd = the birth date', { periodEnd: '$BIRTHDATE' }],
    ],
  ),
  ...variants(
    'DecideStudy',
    (l) => l.staff.ethics,
    (l) => ({ studyId: l.proposedStudyId, decision: 'approve' }),
    [['studyId = the MRN', { studyId: '$MRN' }]],
  ),
  ...variants(
    'SpendPrivacyBudget',
    researcher,
    (l) => ({ studyId: l.studyId, epsilon: 0.01, queryHash: sha256('q') }),
    [['queryHash = the SSN', { queryHash: '$SSN' }]],
  ),
  // Numbers: the decimals of an epsilon, or digits past a number's shortest form, would be kept in the block.
  {
    name: 'SpendPrivacyBudget with the phone digits as the decimals of epsilon',
    tx: 'SpendPrivacyBudget',
    who: researcher,
    legit: (l) => ({ studyId: l.studyId, epsilon: 0.01, queryHash: sha256('q') }),
    careless: (l, s) => ({ studyId: l.studyId, epsilon: Number(`0.${digitsOf(s.phi.phone)}`), queryHash: sha256('q') }),
  },
  {
    name: 'SpendPrivacyBudget with the SSN digits padded onto epsilon',
    tx: 'SpendPrivacyBudget',
    who: researcher,
    legit: (l) => ({ studyId: l.studyId, epsilon: 0.01, queryHash: sha256('q') }),
    careless: (l, s) =>
      `{"studyId":"${l.studyId}","epsilon":0.0100000000000${digitsOf(s.phi.ssn)},"queryHash":"${sha256('q')}"}`,
  },
  {
    name: 'ProposeStudy with the birth date padded onto the epsilon budget',
    tx: 'ProposeStudy',
    who: researcher,
    legit: () => ({ resourceTypes: ['Observation'], protocolHash: sha256('protocol'), epsilonBudget: 1 }),
    careless: (_l, s) =>
      `{"resourceTypes":["Observation"],"protocolHash":"${sha256('protocol')}",` +
      `"epsilonBudget":1.000000000000${digitsOf(s.phi.birthDate)}}`,
  },

  // Query transactions submitted (so committed with their arguments and response) by a malicious client.
  // F8: a bookmark must be a key of the caller's own audit trail.
  ...variants('GetAuditTrail', patient, () => ({ pageSize: 5 }), [
    ['a bookmark holding name and address', { bookmark: '$NAME, $ADDRESS' }],
    ['a bookmark holding the SSN', { bookmark: '$SSN' }],
  ]),
  {
    name: "GetAuditTrail with the name after the patient's own bookmark prefix",
    tx: 'GetAuditTrail',
    who: patient,
    legit: () => ({ pageSize: 5 }),
    careless: (_l, s) => ({ pageSize: 5, bookmark: `\u0000audit\u0000${s.patientId}\u0000${s.phi.nameToken}` }),
  },
  ...variants(
    'GetAuditTrail',
    (l, s) => l.staff.privacyOfficer[s.home],
    (_l, s) => ({ patientId: s.patientId }),
    [['patientId = the MRN', { patientId: '$MRN' }]],
  ),
  ...variants('GetRecordMetadata', patient, (_l, s) => ({ recordId: s.recordIds[0] }), [
    ['recordId = the MRN', { recordId: '$MRN' }],
  ]),
  ...variants('GetConsentHistory', patient, (_l, s) => ({ consentId: s.consentId }), [
    ['consentId = the SSN', { consentId: '$SSN' }],
  ]),
  ...variants('GetStudy', researcher, (l) => ({ studyId: l.studyId }), [['studyId = the SSN', { studyId: '$SSN' }]]),
  // F9: the harness, like fabric-shim, refuses more arguments than a transaction declares.
  ...(['WhoAmI', 'GetMyConsents', 'ListAccessRequests'] as const).map((tx): Vector => ({
    name: `${tx} with an extra argument holding the name`,
    tx,
    who: patient,
    legit: () => undefined,
    careless: (_l, s) => JSON.stringify({ name: s.phi.fullName }),
  })),
  {
    name: 'an unknown transaction named after the patient',
    tx: '$NAMETOKEN',
    who: patient,
    careless: () => '{}',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Running vectors
// ---------------------------------------------------------------------------------------------------------------

const SUBMITTING_TRANSACTIONS = [
  'RegisterPatient',
  'RegisterRecord',
  'RegisterRecords',
  'EraseRecord',
  'PutConsent',
  'RevokeConsent',
  'RequestAccess',
  'RespondToAccessRequest',
  'BreakGlass',
  'ReviewEmergencyAccess',
  'RevokeEmergencyAccess',
  'SetEmergencyPolicy',
  'AuthorizeAccess',
  'AuthorizeCohort',
  'MigrateAuditIndexes',
  'ProposeStudy',
  'DecideStudy',
  'SpendPrivacyBudget',
];

const argumentsOf = (input: Argument): string[] =>
  input === undefined ? [] : [typeof input === 'string' ? input : JSON.stringify(input)];

interface VectorOutcome {
  readonly vector: string;
  readonly patient: string;
  readonly status: 'rejected' | 'committed';
  readonly detail: string;
  readonly leaks: string;
}

/** An error's message and those of its causes. */
function errorMessages(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause === undefined ? err.message : `${err.message}\n${errorMessages(err.cause)}`;
}

async function runVector(l: Ledger, s: Subject, vector: Vector): Promise<VectorOutcome> {
  const who = vector.who(l, s);
  const tx = vector.tx.replace('$NAMETOKEN', s.phi.nameToken.replace(/\W/g, ''));
  const base = { vector: vector.name, patient: s.phi.fullName };
  // The control: without the PHI the same call goes through (simulated only), so a rejection is about the PHI.
  if (vector.legit) {
    const legit = vector.legit(l, s);
    await l.f.harness.evaluate(who, tx, ...argumentsOf(legit)).catch((err: unknown) => {
      throw new Error(`control of "${vector.name}" for ${s.phi.fullName} failed: ${String(err)}`);
    });
  }
  const args = argumentsOf(vector.careless(l, s));
  let committed;
  try {
    committed = await l.f.harness.invoke(who, tx, ...args);
  } catch (err: unknown) {
    const code = (err as { code?: unknown }).code;
    // Nothing was committed; the error may still be logged, so its messages must not repeat the PHI either.
    const inMessage = findPhi([Buffer.from(errorMessages(err), 'utf8')], phiNeedles(s.syn));
    return {
      ...base,
      status: 'rejected',
      detail: typeof code === 'string' ? code : String(err),
      leaks: [...new Set(inMessage.map((f) => `error message: ${f.needle.kind} "${f.needle.value}"`))].join(', '),
    };
  }
  // What this transaction adds to a block and to the world state.
  const bytes = [
    ...args.map((arg) => Buffer.from(arg, 'utf8')),
    Buffer.from(committed.result, 'utf8'),
    ...committed.writes.flatMap((w) => [Buffer.from(w.key, 'utf8'), ...(w.value === null ? [] : [w.value])]),
    ...(committed.event === null ? [] : [Buffer.from(committed.event.name, 'utf8'), committed.event.payload]),
  ];
  const findings = findPhi(bytes, phiNeedles(s.syn));
  return {
    ...base,
    status: 'committed',
    detail: `${String(committed.writes.length)} write(s)`,
    leaks: [...new Set(findings.map((f) => `${f.needle.kind} "${f.needle.value}"`))].join(', '),
  };
}

const leaksOf = (outcomes: readonly VectorOutcome[]): string[] =>
  outcomes.filter((o) => o.leaks !== '').map((o) => `${o.vector} [${o.patient}] → ${o.leaks}`);

// ---------------------------------------------------------------------------------------------------------------

describe('no PHI on the ledger (Synthea patients through every transaction)', () => {
  let synthea: SyntheaPatient[];
  let needles: PhiNeedle[];

  before(() => {
    synthea = loadSyntheaPatients(BUNDLES, PER_TYPE);
    needles = synthea.flatMap(phiNeedles);
  });

  it('reads real PHI and clinical codes from the bundles', () => {
    for (const p of synthea) {
      assert.ok(p.names[0]?.family && p.names[0].given.length > 0, `${p.file}: a name`);
      assert.match(p.birthDate, /^\d{4}-\d{2}-\d{2}$/, `${p.file}: a birth date`);
      assert.ok(p.addressLines.length > 0 && p.cities.length > 0 && p.phones.length > 0, `${p.file}: contact data`);
      assert.ok(identifierOf(p, 'MR') && identifierOf(p, 'SS'), `${p.file}: MRN and SSN`);
      assert.ok(p.clinical.length >= 4, `${p.file}: clinical resources to register`);
      assert.ok(p.clinical.every((r) => r.codes.length > 0 && !r.clinicalDate.startsWith(p.birthDate)));
    }
    // The newborn's birth encounter (and what was recorded during it) is the only thing left out.
    const newborn = synthea.find((p) => p.file.startsWith('Dannie_Kshlerin_'))!;
    assert.ok(
      newborn.excludedAtBirth.some((ref) => ref.startsWith('Encounter/')),
      'the birth encounter is excluded',
    );
    assert.ok(synthea.filter((p) => p !== newborn).every((p) => p.excludedAtBirth.length === 0));
    const kinds = new Set(needles.map((n) => n.kind));
    for (const kind of [
      'name',
      'birth date',
      'birth date (MM/DD/YYYY)',
      'birth date (YYYYMMDD)',
      'address line',
      'city',
    ])
      assert.ok(kinds.has(kind), `needles include ${kind}`);
    for (const kind of ['postal code', 'phone', 'phone (digits)', 'Patient resource id'])
      assert.ok(kinds.has(kind), `needles include ${kind}`);
    for (const type of ['MR', 'SS', 'DL', 'PPN']) assert.ok(kinds.has(`identifier ${type}`), `needles include ${type}`);
  });

  it('the scanner finds planted PHI in every normalised form, and nothing in clean ledger-like data', () => {
    const felipa = synthea[0]!;
    const phi = phiOf(felipa);
    const [year, month, day] = phi.birthDate.split('-');
    const digits = phi.phone.replace(/\D/g, '');
    const planted = Buffer.from(
      JSON.stringify({
        a: phi.fullName.toUpperCase(),
        b: `(${digits.slice(0, 3)}) ${digits.slice(3, 6)} ${digits.slice(6)}`,
        c: `${month}/${day}/${year}`,
        d: `${year}${month}${day}`,
        e: phi.address.toLowerCase(),
        f: `zip ${felipa.postalCodes[0]!}`,
        g: phi.ssn.replace(/-/g, ' '),
        h: phi.mrn.toUpperCase(),
        i: `passport ${phi.passport}`,
      }),
    );
    const found = new Set(findPhi([planted], needles).map((f) => f.needle.kind));
    const expected = ['name', 'full name', 'phone (digits)', 'birth date (MM/DD/YYYY)', 'birth date (YYYYMMDD)'];
    expected.push('address line', 'postal code', 'identifier SS (digits)', 'identifier MR', 'identifier PPN');
    for (const kind of expected) assert.ok(found.has(kind), `found ${kind} in ${planted.toString()}`);
    // Ledger-like data (pseudonymous ids, hashes, clinical codes and dates) of the same patient is clean.
    const clean = felipa.clinical.map((r) =>
      Buffer.from(JSON.stringify(recordInput(r, 'pt-0123456789abcdef01234567', 'HospitalAMSP'))),
    );
    assert.deepEqual(findPhi(clean, phiNeedles(felipa)), []);
  });

  it('the scanner reads committed certificates; a patient certificate named after the patient is refused', async () => {
    const f = await createMedledgerFixture();
    const felipa = synthea[0]!;
    const phi = phiOf(felipa);
    const ca = f.network.ca('HospitalAMSP');
    // A CA that enrols the patient under their name: the contract refuses the certificate, nothing is committed.
    const named = await ca.issue({ uid: phi.nameToken, role: 'patient' });
    await assert.rejects(f.submit(named, 'RegisterPatient', {}), { code: 'UNAUTHENTICATED' });
    assert.deepEqual(findPhi(f.harness.allWrittenBytes(), phiNeedles(felipa)), []);
    // A CA that adds the login e-mail as a further attribute: the contract does not read it, the block holds it.
    const withEmail = await ca.issue({
      uid: testPatientUid(felipa.file),
      role: 'patient',
      extraAttrs: { email: `${phi.nameToken}@example.org` },
    });
    await f.submit(withEmail, 'RegisterPatient', {});
    const findings = findPhi(f.harness.allWrittenBytes(), phiNeedles(felipa));
    assert.ok(
      findings.some((finding) => finding.needle.kind === 'name' && finding.context.includes('"email"')),
      `the name is found in the committed creator certificate:\n${describeFindings(findings)}`,
    );
  });

  describe('legitimate use, and careless input the contract refuses or does not store', () => {
    let ledger: Ledger;

    before(async () => {
      ledger = await createLedger(synthea);
    });

    it('commits every transaction with pseudonymous ids, hashes, codes and clinical dates only', () => {
      const chunks = ledger.f.harness.allWrittenBytes();
      const findings = findPhi(chunks, needles);
      assert.equal(findings.length, 0, `PHI on the ledger after legitimate use:\n${describeFindings(findings)}`);
      const committed = new Set(chunks.map((bytes) => Buffer.from(bytes).toString('utf8')));
      for (const tx of SUBMITTING_TRANSACTIONS) assert.ok(committed.has(tx), `${tx} was committed and scanned`);
    });

    it('rejects careless or malicious PHI input, or commits none of it', async () => {
      const outcomes: VectorOutcome[] = [];
      for (const vector of VECTORS.filter((v) => v.knownLeak === undefined)) {
        for (const s of ledger.subjects) outcomes.push(await runVector(ledger, s, vector));
      }
      const rejected = outcomes.filter((o) => o.status === 'rejected').length;
      console.log(
        `careless input: ${String(outcomes.length)} calls, ${String(rejected)} rejected, ` +
          `${String(outcomes.length - rejected)} committed without PHI`,
      );
      assert.deepEqual(leaksOf(outcomes), []);
    });

    it('leaves no PHI anywhere in blocks or world state', () => {
      const chunks = ledger.f.harness.allWrittenBytes();
      const findings = findPhi(chunks, needles);
      assert.ok(chunks.length > 1000, `scanned ${String(chunks.length)} byte strings`);
      assert.equal(findings.length, 0, `PHI found:\n${describeFindings(findings)}`);
    });
  });

  const knownLeaks = VECTORS.filter((v) => v.knownLeak !== undefined);
  describe(
    'careless input the current contract commits (known leaks, reported; todo until fixed)',
    {
      skip: knownLeaks.length === 0 ? 'no known leak' : false,
    },
    () => {
      let ledger: Ledger;

      before(async () => {
        ledger = await createLedger(synthea);
      });

      for (const vector of knownLeaks) {
        it(vector.name, { todo: vector.knownLeak }, async () => {
          const outcomes: VectorOutcome[] = [];
          for (const s of ledger.subjects) outcomes.push(await runVector(ledger, s, vector));
          assert.deepEqual(leaksOf(outcomes), []);
        });
      }
    },
  );
});
