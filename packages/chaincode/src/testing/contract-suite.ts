import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AccessRequestRecord,
  AuditRecord,
  ConsentRecord,
  EmergencyGrant,
  RecordMetadata,
  StudyRecord,
} from '@medledger/core';
import type { AuthorizeAccessResult } from '@medledger/core';
import type { AuthorizeCohortResult } from '../contract/access.js';
import { consentResource, fhir, optInPermit, sha256, testRecordId, testRequestId } from './contract-fixture.js';
import type { ContractFixture } from './contract-fixture.js';
import { testPatientUid } from './test-ca.js';

/** A patient id of the ledger's form that no patient has. */
const UNKNOWN_PATIENT = `pt-${'0'.repeat(24)}`;

const read = (patientId: string, purpose: string, extra: Record<string, unknown> = {}) => ({
  patientId,
  purpose,
  ...extra,
});

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code);
    assert.match((err as Error).message, new RegExp(`^\\[${code}\\] `));
    if (message) assert.match((err as Error).message, message);
    return true;
  });
}

/** One RegisterRecords item: a new record named by a label (hashes derived from it). */
const batchItem = (patientId: string, label: string, extra: Record<string, unknown> = {}) => ({
  recordId: testRecordId(label),
  patientId,
  resourceType: 'Observation',
  category: 'laboratory',
  clinicalDate: '2024-06-01',
  ciphertextSha256: sha256(`ciphertext ${label}`),
  plaintextHmac: sha256(`plaintext ${label}`),
  ...extra,
});

/**
 * The Medledger contract's behaviour, with the same assertions whatever runs it: the simulated stub
 * (medledger-contract.test.ts) and the embedded ledger (@medledger/ledger's contract-suite.embedded.test.ts).
 * Each test starts from a fresh fixture.
 */
export function describeContractBehaviour<Identity>(
  name: string,
  createFixture: () => Promise<ContractFixture<Identity>>,
): void {
  describe(`Medledger contract: ${name}`, () => {
    it('registers a patient once per (MSP, uid) and binds the certificate to a pseudonymous id', async () => {
      const f = await createFixture();
      const clinician = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const first = await f.submit<{ patientId: string; created: boolean }>(clinician, 'RegisterPatient', {
        patientUid: testPatientUid('pat-1'),
      });
      const again = await f.submit<{ patientId: string; created: boolean }>(clinician, 'RegisterPatient', {
        patientUid: testPatientUid('pat-1'),
      });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.patientId, first.patientId);
      assert.match(first.patientId, /^pt-[0-9a-f]{24}$/);
      const self = await f.id('HospitalAMSP', 'patient', 'pat-1');
      assert.equal((await f.evaluate<{ patientId: string }>(self, 'WhoAmI')).patientId, first.patientId);
      // The same uid at another organisation's CA is a different person.
      const impostor = await f.id('HospitalBMSP', 'patient', 'pat-1');
      assert.equal((await f.evaluate<{ patientId?: string }>(impostor, 'WhoAmI')).patientId, undefined);
    });

    it('refuses registration by roles that do not register patients and by a patient for someone else', async () => {
      const f = await createFixture();
      await rejectsWith(
        f.submit(await f.id('InsurerMSP', 'insurer', 'ins-1'), 'RegisterPatient', { patientUid: testPatientUid('x') }),
        'ACCESS_DENIED',
      );
      await rejectsWith(
        f.submit(await f.id('HospitalAMSP', 'patient', 'p1'), 'RegisterPatient', { patientUid: testPatientUid('p2') }),
        'ACCESS_DENIED',
      );
      await rejectsWith(
        f.submit(await f.id('HospitalAMSP', 'clinician', 'dr'), 'RegisterPatient', {}),
        'INVALID_ARGUMENT',
      );
    });

    it('gives the home hospital implied treatment access and everyone else nothing by default', async () => {
      const f = await createFixture();
      const p = await f.patient('alice');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      const rec = await f.record(drA, p.patientId);
      const a = await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(
        a.records.map((r) => [r.recordId, r.basis]),
        [[rec.id, 'treatment-relationship']],
      );
      const b = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(b.records, []);
      assert.equal(b.purposeAccepted, true);
      const own = await f.submit<AuthorizeAccessResult>(p.identity, 'AuthorizeAccess', read(p.patientId, 'PATRQT'));
      assert.equal(own.records.length, 1);
    });

    it('permits another hospital after the patient grants a consent, and denies again after revoking it', async () => {
      const f = await createFixture();
      const p = await f.patient('bob');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      await f.record(drA, p.patientId, { resourceType: 'Observation' });
      await f.record(drA, p.patientId, { resourceType: 'Condition', category: 'problem-list-item' });
      const consent = await f.consent(
        p,
        optInPermit({
          actor: [fhir.actor('Group/HospitalBMSP-clinician')],
          action: [fhir.action('access')],
          purpose: [fhir.purpose('TREAT')],
          class: [fhir.type('Observation')],
        }),
      );
      const granted = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(
        granted.records.map((r) => r.resourceType),
        ['Observation'],
      );
      const revoked = await f.submit<ConsentRecord>(p.identity, 'RevokeConsent', { consentId: consent.id });
      assert.equal(revoked.status, 'inactive');
      assert.equal(revoked.version, 2);
      const after = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(after.records, []);
      const history = await f.evaluate<ConsentRecord[]>(p.identity, 'GetConsentHistory', { consentId: consent.id });
      assert.deepEqual(
        history.map((v) => v.status),
        ['active', 'inactive'],
      );
      await rejectsWith(f.submit(p.identity, 'RevokeConsent', { consentId: consent.id }), 'CONSENT_NOT_ACTIVE');
    });

    it('gives a new consent an id of its own and versions only a consent of the patient under its id', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const provision = optInPermit({ actor: [fhir.actor('Organization/InsurerMSP')] });
      const first = await f.consent(alice, provision);
      assert.match(first.id, /^c-[0-9a-f]{24}$/);
      const second = await f.consent(alice, provision, { id: first.id, status: 'inactive' });
      assert.deepEqual([second.id, second.version, second.status], [first.id, 2, 'inactive']);
      // An id the contract did not issue to this patient is not a way to name a consent (or to store an identifier).
      await rejectsWith(f.consent(alice, provision, { id: `c-${'0'.repeat(24)}` }), 'NOT_FOUND');
      await rejectsWith(f.consent(bob, provision, { id: first.id }), 'NOT_FOUND');
      await rejectsWith(f.consent(alice, provision, { id: 'consent-form-2025' }), 'INVALID_ARGUMENT');
      const history = await f.evaluate<ConsentRecord[]>(alice.identity, 'GetConsentHistory', { consentId: first.id });
      assert.deepEqual(
        history.map((v) => v.version),
        [1, 2],
      );
    });

    it('shows a consent to the privacy officers of the organisations it names, also through a group', async () => {
      const f = await createFixture();
      const p = await f.patient('pia');
      const consent = await f.consent(
        p,
        optInPermit({
          actor: [fhir.actor('Group/HealthAuthorityMSP-public-health'), fhir.actor('Organization/InsurerMSP')],
        }),
      );
      for (const mspId of ['HealthAuthorityMSP', 'InsurerMSP', 'HospitalAMSP']) {
        const po = await f.id(mspId, 'privacy-officer', `po-${mspId}`);
        const { events } = await f.evaluate<{ events: AuditRecord[] }>(po, 'GetAuditTrail', {});
        assert.deepEqual(
          events.map((e) => [e.kind, e.records[0]?.reference]),
          [['consent-create', `Consent/${consent.id}/_history/1`]],
          mspId,
        );
      }
    });

    it('lets only the patient record consents about themself', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const provision = optInPermit({ actor: [fhir.actor('Organization/InsurerMSP')] });
      await rejectsWith(f.consent({ identity: bob.identity, patientId: alice.patientId }, provision), 'ACCESS_DENIED');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      await rejectsWith(f.consent({ identity: drA, patientId: alice.patientId }, provision), 'ACCESS_DENIED');
    });

    it('records every access attempt, permitted or denied, in the patient audit trail', async () => {
      const f = await createFixture();
      const p = await f.patient('carol');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const insurer = await f.id('InsurerMSP', 'insurer', 'ins-1');
      await f.record(drA, p.patientId);
      const permitted = await f.submit<AuthorizeAccessResult>(
        drA,
        'AuthorizeAccess',
        read(p.patientId, 'TREAT', { requestId: testRequestId('1') }),
      );
      const denied = await f.submit<AuthorizeAccessResult>(insurer, 'AuthorizeAccess', read(p.patientId, 'HPAYMT'));
      const refused = await f.submit<AuthorizeAccessResult>(insurer, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.equal(refused.purposeAccepted, false);
      const { events } = await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {});
      const byId = new Map(events.map((e) => [e.id, e]));
      assert.equal(byId.get(permitted.auditEventId)?.outcome, '0');
      assert.equal(byId.get(permitted.auditEventId)?.requestId, testRequestId('1'));
      assert.equal(byId.get(denied.auditEventId)?.outcome, '8');
      assert.equal(byId.get(denied.auditEventId)?.outcomeDesc, 'no applicable consent: default deny');
      assert.equal(byId.get(denied.auditEventId)?.withheld, 1);
      assert.equal(byId.get(refused.auditEventId)?.outcomeDesc, 'role may not assert this purpose');
      // Only the patient and privacy officers of involved organisations see audit data.
      await rejectsWith(f.evaluate(drA, 'GetAuditTrail', {}), 'ACCESS_DENIED');
      const poIns = await f.id('InsurerMSP', 'privacy-officer', 'po-ins');
      const insurerView = await f.evaluate<{ events: AuditRecord[] }>(poIns, 'GetAuditTrail', {});
      assert.deepEqual(insurerView.events.map((e) => e.id).sort(), [denied.auditEventId, refused.auditEventId].sort());
    });

    it('gives audit trails newest first, a page at a time, for the patient and the privacy officer', async () => {
      const f = await createFixture();
      const p = await f.patient('nina');
      const other = await f.patient('otto');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const insurer = await f.id('InsurerMSP', 'insurer', 'ins-1');
      await f.record(drA, p.patientId);
      const reads: string[] = [];
      const ottoReads: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        reads.push(
          (await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'))).auditEventId,
        );
        reads.push(
          (await f.submit<AuthorizeAccessResult>(insurer, 'AuthorizeAccess', read(p.patientId, 'HPAYMT'))).auditEventId,
        );
        ottoReads.push(
          (await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(other.patientId, 'TREAT'))).auditEventId,
        );
      }
      const pages = async (identity: Identity, input: Record<string, unknown>): Promise<AuditRecord[][]> => {
        const out: AuditRecord[][] = [];
        let bookmark: string | undefined;
        do {
          const page = await f.evaluate<{ events: AuditRecord[]; bookmark: string }>(identity, 'GetAuditTrail', {
            ...input,
            pageSize: 3,
            ...(bookmark === undefined ? {} : { bookmark }),
          });
          out.push(page.events);
          bookmark = page.bookmark === '' ? undefined : page.bookmark;
        } while (bookmark !== undefined);
        return out;
      };
      const newestFirst = (events: AuditRecord[]): boolean =>
        events.every((e, i) => i === 0 || (events[i - 1]?.recorded ?? '') > e.recorded);

      const own = await pages(p.identity, {});
      assert.deepEqual(
        own[0]?.map((e) => e.id),
        [...reads].reverse().slice(0, 3),
        'the first page holds the newest three',
      );
      const ownAll = own.flat();
      assert.ok(newestFirst(ownAll), 'strictly newest first across pages');
      assert.equal(ownAll.at(-1)?.kind, 'record-create', 'the oldest event comes last');
      assert.equal(new Set(ownAll.map((e) => e.id)).size, ownAll.length, 'no event twice');

      const poIns = await f.id('InsurerMSP', 'privacy-officer', 'po-ins');
      const insurerTrail = (await pages(poIns, { patientId: p.patientId })).flat();
      assert.deepEqual(
        insurerTrail.map((e) => e.id),
        reads.filter((_, i) => i % 2 === 1).reverse(),
        "the insurer's privacy officer sees only the insurer's reads of this patient, newest first",
      );
      const poA = await f.id('HospitalAMSP', 'privacy-officer', 'po-a');
      const hospitalTrail = (await pages(poA, {})).flat();
      assert.ok(newestFirst(hospitalTrail));
      const seen = new Set(hospitalTrail.map((e) => e.id));
      assert.ok(
        [...reads, ...ottoReads].every((id) => seen.has(id)),
        "the hospital's privacy officer sees every read of both patients",
      );
    });

    it('does not reveal withheld records or unknown patients to the requester', async () => {
      const f = await createFixture();
      const p = await f.patient('dave');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      await f.record(drA, p.patientId);
      const hidden = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      const missing = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(UNKNOWN_PATIENT, 'TREAT'));
      const strip = (r: AuthorizeAccessResult) => ({
        purposeAccepted: r.purposeAccepted,
        records: r.records,
        keys: Object.keys(r).sort(),
      });
      assert.deepEqual(strip(hidden), strip(missing));
    });

    it('runs the access-request flow: request, narrower approval creating a consent, expiry', async () => {
      const f = await createFixture();
      const p = await f.patient('erin');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      await f.record(drA, p.patientId, { resourceType: 'Observation' });
      await f.record(drA, p.patientId, { resourceType: 'Condition', category: 'problem-list-item' });
      await f.record(drA, p.patientId, { resourceType: 'Observation', securityLabels: [fhir.sensitivity('HIV')] });
      const request = await f.submit<AccessRequestRecord>(drB, 'RequestAccess', {
        patientId: p.patientId,
        purpose: 'TREAT',
        resourceTypes: ['Observation', 'Condition'],
        reasonCode: 'referral',
      });
      assert.equal(request.status, 'pending');
      const listed = await f.evaluate<AccessRequestRecord[]>(p.identity, 'ListAccessRequests');
      assert.deepEqual(
        listed.map((r) => r.id),
        [request.id],
      );
      await rejectsWith(
        f.submit(p.identity, 'RespondToAccessRequest', {
          requestId: request.id,
          decision: 'approve',
          resourceTypes: ['Procedure'],
        }),
        'INVALID_ARGUMENT',
      );
      const answer = await f.submit<{ request: AccessRequestRecord; consent: ConsentRecord }>(
        p.identity,
        'RespondToAccessRequest',
        {
          requestId: request.id,
          decision: 'approve',
          resourceTypes: ['Observation'],
        },
      );
      assert.equal(answer.request.status, 'approved');
      assert.equal(answer.request.consentId, answer.consent.id);
      const access = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      // Only the approved type, and the HIV-labelled observation stays excluded because no sensitive label was approved.
      assert.equal(access.records.length, 1);
      assert.equal(access.records[0]?.resourceType, 'Observation');
      await rejectsWith(
        f.submit(p.identity, 'RespondToAccessRequest', { requestId: request.id, decision: 'deny' }),
        'CONFLICT',
      );

      const late = await f.submit<AccessRequestRecord>(drB, 'RequestAccess', {
        patientId: p.patientId,
        purpose: 'TREAT',
        reasonCode: 'referral',
      });
      await rejectsWith(
        f.submitAt(p.identity, '2025-03-20T00:00:00Z', 'RespondToAccessRequest', {
          requestId: late.id,
          decision: 'approve',
        }),
        'REQUEST_EXPIRED',
      );
    });

    it('refuses access requests for purposes the role may not assert', async () => {
      const f = await createFixture();
      const p = await f.patient('frank');
      const insurer = await f.id('InsurerMSP', 'insurer', 'ins-1');
      await rejectsWith(
        f.submit(insurer, 'RequestAccess', { patientId: p.patientId, purpose: 'TREAT', reasonCode: 'referral' }),
        'ACCESS_DENIED',
      );
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      await rejectsWith(
        f.submit(researcher, 'RequestAccess', {
          patientId: p.patientId,
          purpose: 'HRESCH',
          reasonCode: 'research-study',
        }),
        'STUDY_NOT_APPROVED',
      );
    });

    it('grants time-boxed break-glass access that overrides a deny, is flagged and queued for review', async () => {
      const f = await createFixture();
      const p = await f.patient('gina');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      await f.record(drA, p.patientId);
      await f.consent(p, { type: 'deny', actor: [fhir.actor('Organization/HospitalBMSP')] }, { policyRule: 'OPTOUT' });
      const before = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'ETREAT'));
      assert.deepEqual(before.records, []);
      await rejectsWith(
        f.submit(drB, 'BreakGlass', { patientId: p.patientId, reasonCode: 'unconscious-patient' }),
        'INVALID_ARGUMENT',
      );
      const grantRaw = await f.submitRaw(drB, 'BreakGlass', {
        patientId: p.patientId,
        reasonHash: sha256('unconscious, no ID'),
        reasonCode: 'unconscious-patient',
      });
      const grant = JSON.parse(grantRaw.result) as EmergencyGrant;
      assert.equal(grantRaw.event?.name, 'BreakGlass');
      assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.startedAt), 4 * 3600 * 1000);
      const during = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'ETREAT'));
      assert.deepEqual(
        during.records.map((r) => r.basis),
        ['emergency-grant'],
      );
      const treatStillDenied = await f.submit<AuthorizeAccessResult>(
        drB,
        'AuthorizeAccess',
        read(p.patientId, 'TREAT'),
      );
      assert.deepEqual(treatStillDenied.records, []);
      const expired = await f.submitAt<AuthorizeAccessResult>(
        drB,
        '2025-03-01T15:00:00Z',
        'AuthorizeAccess',
        read(p.patientId, 'ETREAT'),
      );
      assert.deepEqual(expired.records, []);
      await rejectsWith(
        f.submit(await f.id('InsurerMSP', 'insurer', 'i'), 'BreakGlass', {
          patientId: p.patientId,
          reasonHash: sha256('x'),
        }),
        'ACCESS_DENIED',
      );

      const poA = await f.id('HospitalAMSP', 'privacy-officer', 'po-a');
      const poB = await f.id('HospitalBMSP', 'privacy-officer', 'po-b');
      // Queued for the patient's home organisation (the custodian), not for the organisation under review.
      assert.deepEqual(
        (await f.evaluate<EmergencyGrant[]>(poA, 'ListPendingEmergencyReviews')).map((g) => g.id),
        [grant.id],
      );
      assert.deepEqual(await f.evaluate(poB, 'ListPendingEmergencyReviews'), []);
      await rejectsWith(
        f.submit(poB, 'ReviewEmergencyAccess', { grantId: grant.id, patientId: p.patientId, outcome: 'justified' }),
        'NOT_FOUND',
      );
      const reviewed = await f.submit<EmergencyGrant>(poA, 'ReviewEmergencyAccess', {
        grantId: grant.id,
        patientId: p.patientId,
        outcome: 'justified',
      });
      assert.equal(reviewed.review, 'justified');
      assert.deepEqual(await f.evaluate(poA, 'ListPendingEmergencyReviews'), []);
      await rejectsWith(
        f.submit(poA, 'ReviewEmergencyAccess', { grantId: grant.id, patientId: p.patientId, outcome: 'unjustified' }),
        'CONFLICT',
      );
      // The privacy officer of the clinician's organisation sees the break-glass and its review in the audit trail.
      const reviewerView = await f.evaluate<{ events: AuditRecord[] }>(poB, 'GetAuditTrail', {});
      assert.ok(reviewerView.events.some((e) => e.kind === 'break-glass-start' && e.grantId === grant.id));
      assert.ok(reviewerView.events.some((e) => e.kind === 'emergency-review' && e.grantId === grant.id));
      const { events } = await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {});
      assert.ok(events.some((e) => e.kind === 'break-glass-start' && e.grantId === grant.id));
      assert.ok(events.some((e) => e.grantId === grant.id && e.purpose === 'ETREAT' && e.kind === 'search'));
    });

    it('lets the patient end a break-glass grant early: the next emergency read is refused, the review still happens', async () => {
      const f = await createFixture();
      const p = await f.patient('ivan');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      const poA = await f.id('HospitalAMSP', 'privacy-officer', 'po-a');
      const poB = await f.id('HospitalBMSP', 'privacy-officer', 'po-b');
      await f.record(drA, p.patientId);
      const grant = await f.submit<EmergencyGrant>(drB, 'BreakGlass', {
        patientId: p.patientId,
        reasonHash: sha256('collapsed in the street'),
        reasonCode: 'unconscious-patient',
      });
      const during = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'ETREAT'));
      assert.equal(during.records.length, 1);
      // Nobody but the patient ends it: not the clinician, not an officer, not another patient.
      const other = await f.patient('judy');
      for (const [caller, code] of [
        [drB, 'ACCESS_DENIED'],
        [poA, 'ACCESS_DENIED'],
        [other.identity, 'NOT_FOUND'],
      ] as const) {
        await rejectsWith(f.submit(caller, 'RevokeEmergencyAccess', { grantId: grant.id }), code);
      }
      const mine = await f.evaluate<EmergencyGrant[]>(p.identity, 'GetMyEmergencyGrants');
      assert.deepEqual(
        mine.map((g) => [g.id, g.endedAt]),
        [[grant.id, undefined]],
      );
      const ended = await f.submit<EmergencyGrant>(p.identity, 'RevokeEmergencyAccess', { grantId: grant.id });
      assert.equal(ended.endReason, 'revoked-by-patient');
      assert.equal(ended.endedBy, `Patient/${p.patientId}`);
      assert.equal(ended.expiresAt, grant.expiresAt);
      const after = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(p.patientId, 'ETREAT'));
      assert.deepEqual(after.records, []);
      await rejectsWith(f.submit(p.identity, 'RevokeEmergencyAccess', { grantId: grant.id }), 'CONFLICT');
      const queue = await f.evaluate<EmergencyGrant[]>(poA, 'ListPendingEmergencyReviews');
      assert.deepEqual(
        queue.map((g) => [g.id, g.endedAt]),
        [[grant.id, ended.endedAt]],
      );
      for (const viewer of [p.identity, poA, poB]) {
        const { events } = await f.evaluate<{ events: AuditRecord[] }>(viewer, 'GetAuditTrail', {});
        const end = events.find((e) => e.kind === 'break-glass-end' && e.grantId === grant.id);
        assert.ok(end, 'the patient and both organisations see that the patient ended it');
        assert.equal(end.agent.reference, `Patient/${p.patientId}`);
      }
      const reviewed = await f.submit<EmergencyGrant>(poA, 'ReviewEmergencyAccess', {
        grantId: grant.id,
        patientId: p.patientId,
        outcome: 'justified',
      });
      assert.equal(reviewed.review, 'justified');
      assert.equal(reviewed.endedAt, ended.endedAt);
    });

    it('lists for a clinician exactly the patients whose active consent names them for treatment', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const carol = await f.patient('carol');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      const drB2 = await f.id('HospitalBMSP', 'clinician', 'dr-b2');
      const treat = (actor: string) =>
        optInPermit({ actor: [fhir.actor(actor)], action: [fhir.action('access')], purpose: [fhir.purpose('TREAT')] });
      const toDrB = await f.consent(alice, treat('Practitioner/dr-b'));
      const toOrg = await f.consent(bob, treat('Organization/HospitalBMSP'));
      // Not for treatment, or naming someone else: never listed, never read.
      await f.consent(
        carol,
        optInPermit({ actor: [fhir.actor('Practitioner/dr-b')], purpose: [fhir.purpose('HPAYMT')] }),
      );
      await f.consent(carol, treat('Practitioner/dr-c'));
      const listed = async (who: typeof drB): Promise<string[]> =>
        (await f.evaluate<Array<{ patientId: string; consentId: string }>>(who, 'ListPatientsSharingWithMe')).map(
          (entry) => `${entry.patientId} ${entry.consentId}`,
        );
      assert.deepEqual(await listed(drB), [`${alice.patientId} ${toDrB.id}`, `${bob.patientId} ${toOrg.id}`].sort());
      assert.deepEqual(await listed(drB2), [`${bob.patientId} ${toOrg.id}`]);
      // Versioning the consent to name someone else, or revoking it, takes the patient off the list.
      await f.submit(
        alice.identity,
        'PutConsent',
        consentResource(alice.patientId, treat('Practitioner/dr-c'), { id: toDrB.id }),
      );
      await f.submit(bob.identity, 'RevokeConsent', { consentId: toOrg.id });
      assert.deepEqual(await listed(drB), []);
      await rejectsWith(
        f.evaluate(await f.id('InsurerMSP', 'insurer', 'ins'), 'ListPatientsSharingWithMe'),
        'ACCESS_DENIED',
      );
      await rejectsWith(f.evaluate(alice.identity, 'ListPatientsSharingWithMe'), 'ACCESS_DENIED');
    });

    it('leaves off the list a clinician whom the patient refuses outright, in the same or another consent', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      const drB2 = await f.id('HospitalBMSP', 'clinician', 'dr-b2');
      const treat = { action: [fhir.action('access')], purpose: [fhir.purpose('TREAT')] };
      const listed = async (who: typeof drB): Promise<string[]> =>
        (await f.evaluate<Array<{ patientId: string }>>(who, 'ListPatientsSharingWithMe')).map((e) => e.patientId);
      // alice shares with HospitalB, and a separate opt-out refuses dr-b everything.
      await f.consent(alice, optInPermit({ actor: [fhir.actor('Organization/HospitalBMSP')], ...treat }));
      const objection = await f.consent(
        alice,
        { type: 'deny', actor: [fhir.actor('Practitioner/dr-b')] },
        { policyRule: 'OPTOUT' },
      );
      // bob shares with HospitalB but takes dr-b back inside the same consent.
      await f.consent(bob, {
        type: 'deny',
        provision: [
          { type: 'permit', actor: [fhir.actor('Organization/HospitalBMSP')], ...treat },
          { type: 'deny', actor: [fhir.actor('Practitioner/dr-b')] },
        ],
      });
      assert.deepEqual(await listed(drB), [], 'dr-b is refused by both');
      assert.deepEqual(await listed(drB2), [alice.patientId, bob.patientId].sort());
      // A read by dr-b is refused too: the list and the decision agree.
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      await f.record(drA, alice.patientId);
      const refused = await f.submit<AuthorizeAccessResult>(drB, 'AuthorizeAccess', read(alice.patientId, 'TREAT'));
      assert.deepEqual(refused.records, []);
      const permitted = await f.submit<AuthorizeAccessResult>(drB2, 'AuthorizeAccess', read(alice.patientId, 'TREAT'));
      assert.equal(permitted.records.length, 1, 'the rest of HospitalB reads the record');
      // Narrowed to Observations, the objection leaves other records shared: alice is listed again.
      await f.consent(
        alice,
        { type: 'deny', actor: [fhir.actor('Practitioner/dr-b')], class: [fhir.type('Observation')] },
        { policyRule: 'OPTOUT', id: objection.id },
      );
      assert.deepEqual(await listed(drB), [alice.patientId]);
    });

    it('uses the organisation break-glass duration set by its admin', async () => {
      const f = await createFixture();
      const p = await f.patient('hal');
      await rejectsWith(
        f.submit(await f.id('HospitalBMSP', 'clinician', 'dr-b'), 'SetEmergencyPolicy', { durationMinutes: 60 }),
        'ACCESS_DENIED',
      );
      await rejectsWith(
        f.submit(await f.id('HospitalBMSP', 'admin', 'adm'), 'SetEmergencyPolicy', { durationMinutes: 5 }),
        'INVALID_ARGUMENT',
      );
      await f.submit(await f.id('HospitalBMSP', 'admin', 'adm'), 'SetEmergencyPolicy', { durationMinutes: 60 });
      const grant = await f.submit<EmergencyGrant>(await f.id('HospitalBMSP', 'clinician', 'dr-b'), 'BreakGlass', {
        patientId: p.patientId,
        reasonHash: sha256('r'),
      });
      assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.startedAt), 3600 * 1000);
    });

    it('erases a record for the patient, keeps its audit trail and refuses strangers', async () => {
      const f = await createFixture();
      const p = await f.patient('ivy');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const rec = await f.record(drA, p.patientId);
      await f.submit(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      await rejectsWith(
        f.submit(await f.id('HospitalBMSP', 'admin', 'adm-b'), 'EraseRecord', { recordId: rec.id }),
        'NOT_FOUND',
      );
      await rejectsWith(
        f.submit(await f.id('HospitalAMSP', 'admin', 'adm-a'), 'EraseRecord', { recordId: rec.id }),
        'INVALID_ARGUMENT',
      );
      const raw = await f.submitRaw(p.identity, 'EraseRecord', { recordId: rec.id });
      assert.equal(raw.event?.name, 'RecordErased');
      const after = await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(after.records, []);
      const { events } = await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {});
      assert.deepEqual(
        events.map((e) => e.kind),
        ['search', 'record-erase', 'search', 'record-create'],
        'newest first',
      );
      await rejectsWith(f.submit(p.identity, 'EraseRecord', { recordId: rec.id }), 'CONFLICT');
    });

    it('lets a clinician of another hospital write only with a collect or treatment consent', async () => {
      const f = await createFixture();
      const p = await f.patient('jack');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      await rejectsWith(f.record(drB, p.patientId), 'ACCESS_DENIED');
      await rejectsWith(f.record(drB, UNKNOWN_PATIENT), 'ACCESS_DENIED');
      await f.consent(p, optInPermit({ actor: [fhir.actor('Practitioner/dr-b')], action: [fhir.action('collect')] }));
      const rec = await f.record(drB, p.patientId);
      assert.equal(rec.custodian, 'HospitalBMSP');
      assert.equal(rec.author, 'Practitioner/dr-b');
    });

    it('versions records: a new version supersedes the old one of the same custodian', async () => {
      const f = await createFixture();
      const p = await f.patient('kim');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const v1 = await f.record(drA, p.patientId, { recordId: testRecordId('obs-1') });
      const v2 = await f.record(drA, p.patientId, { recordId: testRecordId('obs-1-v2'), supersedes: v1.id });
      assert.equal(v2.version, 2);
      const access = await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      assert.deepEqual(
        access.records.map((r) => r.recordId),
        [testRecordId('obs-1-v2')],
      );
      await rejectsWith(f.record(drA, p.patientId, { recordId: testRecordId('obs-1') }), 'ALREADY_EXISTS');
    });

    it('registers a batch of records of several patients in one transaction, as RegisterRecord would', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const v1 = await f.record(drA, alice.patientId, { recordId: testRecordId('batch obs-1') });
      const items = [
        batchItem(alice.patientId, 'batch obs-1-v2', { supersedes: v1.id }),
        batchItem(bob.patientId, 'batch cond-1', { resourceType: 'Condition', category: 'problem-list-item' }),
        batchItem(alice.patientId, 'batch obs-2', { securityLabels: [fhir.sensitivity('HIV')] }),
      ];
      const raw = await f.submitRaw(drA, 'RegisterRecords', { records: items });
      const { records } = JSON.parse(raw.result) as { records: RecordMetadata[] };
      assert.deepEqual(
        records.map((r) => [r.id, r.patientId, r.version, r.custodian, r.author, r.status, r.txId]),
        [
          [items[0]?.recordId, alice.patientId, 2, 'HospitalAMSP', 'Practitioner/dr-a', 'active', raw.txId],
          [items[1]?.recordId, bob.patientId, 1, 'HospitalAMSP', 'Practitioner/dr-a', 'active', raw.txId],
          [items[2]?.recordId, alice.patientId, 1, 'HospitalAMSP', 'Practitioner/dr-a', 'active', raw.txId],
        ],
      );
      // One chaincode event for the transaction, listing every record in input order.
      assert.equal(raw.event?.name, 'RecordsRegistered');
      assert.deepEqual(JSON.parse(Buffer.from(raw.event.payload).toString('utf8')), {
        records: records.map((r) => ({
          recordId: r.id,
          patientId: r.patientId,
          custodian: 'HospitalAMSP',
          version: r.version,
        })),
      });
      for (const record of records) {
        const owner = record.patientId === alice.patientId ? alice : bob;
        assert.deepEqual(await f.evaluate(owner.identity, 'GetRecordMetadata', { recordId: record.id }), record);
      }
      const superseded = await f.evaluate<RecordMetadata>(drA, 'GetRecordMetadata', { recordId: v1.id });
      assert.equal(superseded.status, 'superseded');
      // One record-create audit event per record, in each patient's own trail.
      const creates = async (patient: typeof alice) =>
        (await f.evaluate<{ events: AuditRecord[] }>(patient.identity, 'GetAuditTrail', {})).events
          .filter((e) => e.txId === raw.txId)
          .map((e) => [e.kind, e.records.map((r) => r.reference)]);
      assert.deepEqual(
        (await creates(alice)).sort(),
        [
          ['record-create', [`Observation/${items[0]?.recordId ?? ''}/_history/2`]],
          ['record-create', [`Observation/${items[2]?.recordId ?? ''}/_history/1`]],
        ].sort(),
      );
      assert.deepEqual(await creates(bob), [['record-create', [`Condition/${items[1]?.recordId ?? ''}/_history/1`]]]);
      const access = await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(alice.patientId, 'TREAT'));
      assert.deepEqual(access.records.map((r) => r.recordId).sort(), [items[0]?.recordId, items[2]?.recordId].sort());
    });

    it('rolls back the whole batch when one record fails, naming only the failing item', async () => {
      const f = await createFixture();
      const alice = await f.patient('alice');
      const bob = await f.patient('bob');
      const carol = await f.patient('carol', 'HospitalBMSP');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
      const existing = await f.record(drA, alice.patientId, { recordId: testRecordId('rollback existing') });
      const trail = async (patient: typeof alice) =>
        (await f.evaluate<{ events: AuditRecord[] }>(patient.identity, 'GetAuditTrail', {})).events.map((e) => e.id);
      const before = { alice: await trail(alice), bob: await trail(bob), carol: await trail(carol) };
      const first = batchItem(alice.patientId, 'rollback 1');
      const second = batchItem(bob.patientId, 'rollback 2');
      const failing: Array<[Record<string, unknown>, string, RegExp]> = [
        // carol's home is HospitalB and she gave HospitalA no consent
        [batchItem(carol.patientId, 'rollback 3'), 'ACCESS_DENIED', /^\[ACCESS_DENIED\] records\[2\]: no permission/],
        [batchItem(UNKNOWN_PATIENT, 'rollback 3'), 'ACCESS_DENIED', /^\[ACCESS_DENIED\] records\[2\]: no permission/],
        [batchItem(alice.patientId, 'rollback existing'), 'ALREADY_EXISTS', /^\[ALREADY_EXISTS\] records\[2\]: /],
        [
          batchItem(alice.patientId, 'rollback 3', { supersedes: testRecordId('rollback none') }),
          'CONFLICT',
          /^\[CONFLICT\] records\[2\]: /,
        ],
        [
          batchItem(alice.patientId, 'rollback 3', { category: 'Jane Doe' }),
          'INVALID_ARGUMENT',
          /records\[2\]: category/,
        ],
      ];
      for (const [third, code, message] of failing) {
        await rejectsWith(f.submit(drA, 'RegisterRecords', { records: [first, second, third] }), code, message);
      }
      // Nothing of the refused batches is on the ledger: no record, no superseding, no audit event.
      for (const [item, owner] of [
        [first, alice],
        [second, bob],
      ] as const) {
        await rejectsWith(f.evaluate(owner.identity, 'GetRecordMetadata', { recordId: item.recordId }), 'NOT_FOUND');
        await rejectsWith(f.evaluate(drA, 'GetRecordMetadata', { recordId: item.recordId }), 'NOT_FOUND');
      }
      assert.equal((await f.evaluate<RecordMetadata>(drA, 'GetRecordMetadata', { recordId: existing.id })).version, 1);
      assert.deepEqual({ alice: await trail(alice), bob: await trail(bob), carol: await trail(carol) }, before);
      const access = await f.submit<AuthorizeAccessResult>(drA, 'AuthorizeAccess', read(bob.patientId, 'TREAT'));
      assert.deepEqual(access.records, []);
      // A caller who may not write for the patient learns nothing about which record ids exist.
      for (const recordId of [existing.id, testRecordId('rollback never')]) {
        await rejectsWith(
          f.submit(drB, 'RegisterRecords', { records: [batchItem(alice.patientId, 'x', { recordId })] }),
          'ACCESS_DENIED',
          /^\[ACCESS_DENIED\] records\[0\]: no permission to register records for this patient$/,
        );
      }
      // The same batch with a third record that may be written goes through: the ids were not used up.
      const ok = await f.submit<{ records: RecordMetadata[] }>(drA, 'RegisterRecords', {
        records: [first, second, batchItem(alice.patientId, 'rollback 3')],
      });
      assert.deepEqual(
        ok.records.map((r) => r.id),
        [first.recordId, second.recordId, testRecordId('rollback 3')],
      );
    });

    it('refuses an empty batch, more than 500 records and a record id named twice in a batch', async () => {
      const f = await createFixture();
      const p = await f.patient('dora');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const items = (n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => batchItem(p.patientId, `${prefix} ${String(i)}`));
      await rejectsWith(f.submit(drA, 'RegisterRecords', { records: [] }), 'INVALID_ARGUMENT', /at least one/);
      await rejectsWith(f.submit(drA, 'RegisterRecords', {}), 'INVALID_ARGUMENT');
      await rejectsWith(
        f.submit(drA, 'RegisterRecords', { records: items(501, 'too many') }),
        'INVALID_ARGUMENT',
        /more than 500/,
      );
      const [a, b] = items(2, 'twice') as [ReturnType<typeof batchItem>, ReturnType<typeof batchItem>];
      await rejectsWith(
        f.submit(drA, 'RegisterRecords', { records: [a, b, { ...a, resourceType: 'Condition' }] }),
        'INVALID_ARGUMENT',
        /^\[INVALID_ARGUMENT\] records\[2\]: names a record \(recordId or supersedes\) that records\[0\] names too$/,
      );
      // Superseding a record of the same batch cannot be checked (a transaction does not read its own writes).
      await rejectsWith(
        f.submit(drA, 'RegisterRecords', { records: [a, { ...b, supersedes: a.recordId }] }),
        'INVALID_ARGUMENT',
        /records\[1\]: names a record/,
      );
      await rejectsWith(f.evaluate(drA, 'GetRecordMetadata', { recordId: a.recordId }), 'NOT_FOUND');
      // 500 records is the most one transaction registers.
      const full = await f.submitRaw(drA, 'RegisterRecords', { records: items(500, 'full') });
      assert.equal((JSON.parse(full.result) as { records: RecordMetadata[] }).records.length, 500);
      const payload = JSON.parse(Buffer.from(full.event?.payload ?? []).toString('utf8')) as { records: unknown[] };
      assert.equal(payload.records.length, 500);
    });

    it('runs a study: proposal, approval by ethics (not the proposer), consent-gated cohort, atomic budget', async () => {
      const f = await createFixture();
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      const ethics = await f.id('ResearchMSP', 'ethics', 'irb-1');
      const study = await f.submit<StudyRecord>(researcher, 'ProposeStudy', {
        resourceTypes: ['Observation'],
        protocolHash: sha256('protocol'),
        epsilonBudget: 1,
      });
      await rejectsWith(
        f.submit(researcher, 'DecideStudy', { studyId: study.id, decision: 'approve' }),
        'ACCESS_DENIED',
      );
      const yes = await f.patient('opt-in');
      const no = await f.patient('no-consent');
      await f.record(drA, yes.patientId);
      await f.record(drA, no.patientId);
      await f.consent(
        yes,
        optInPermit({
          actor: [fhir.actor('Organization/ResearchMSP')],
          action: [fhir.action('use')],
          purpose: [fhir.purpose('HRESCH')],
        }),
      );
      const cohortInput = { patientIds: [yes.patientId, no.patientId], purpose: 'HRESCH', studyId: study.id };
      // Before approval the cohort is refused once, and nothing is written to the patients' trails.
      await rejectsWith(f.submit(researcher, 'AuthorizeCohort', cohortInput), 'STUDY_NOT_APPROVED');
      await f.submit(ethics, 'DecideStudy', { studyId: study.id, decision: 'approve' });
      const cohort = await f.submit<AuthorizeCohortResult>(researcher, 'AuthorizeCohort', cohortInput);
      assert.deepEqual(
        cohort.members.map((m) => m.patientId),
        [yes.patientId],
      );
      const yesTrail = await f.evaluate<{ events: AuditRecord[] }>(yes.identity, 'GetAuditTrail', {});
      assert.ok(yesTrail.events.some((e) => e.kind === 'research-use' && e.outcome === '0' && e.studyId === study.id));
      const noTrail = await f.evaluate<{ events: AuditRecord[] }>(no.identity, 'GetAuditTrail', {});
      assert.ok(noTrail.events.some((e) => e.kind === 'research-use' && e.outcome === '8'));

      const spend = (epsilon: number) =>
        f.submit<{ remainingMicro: number }>(researcher, 'SpendPrivacyBudget', {
          studyId: study.id,
          epsilon,
          queryHash: sha256(`q${epsilon}`),
        });
      assert.equal((await spend(0.6)).remainingMicro, 400_000);
      await rejectsWith(spend(0.5), 'BUDGET_EXHAUSTED');
      assert.equal((await spend(0.4)).remainingMicro, 0);
      await rejectsWith(spend(0.000001), 'BUDGET_EXHAUSTED');
    });

    it('runs a public-health surveillance programme: proposed by public health, approved by ethics, own budget', async () => {
      const f = await createFixture();
      const health = await f.id('HealthAuthorityMSP', 'public-health', 'ph-1');
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      const ethics = await f.id('ResearchMSP', 'ethics', 'irb-1');
      const input = {
        purpose: 'PUBHLTH',
        resourceTypes: ['Condition'],
        protocolHash: sha256('surveillance'),
        epsilonBudget: 1,
      };
      await rejectsWith(f.submit(researcher, 'ProposeStudy', input), 'ACCESS_DENIED');
      await rejectsWith(f.submit(health, 'ProposeStudy', { ...input, purpose: 'HRESCH' }), 'ACCESS_DENIED');
      const programme = await f.submit<StudyRecord>(health, 'ProposeStudy', input);
      assert.equal(programme.purpose, 'PUBHLTH');
      const spend = { studyId: programme.id, epsilon: 0.5, queryHash: sha256('weekly count') };
      await rejectsWith(f.submit(health, 'SpendPrivacyBudget', spend), 'STUDY_NOT_APPROVED');
      await rejectsWith(
        f.submit(health, 'DecideStudy', { studyId: programme.id, decision: 'approve' }),
        'ACCESS_DENIED',
      );
      await f.submit(ethics, 'DecideStudy', { studyId: programme.id, decision: 'approve' });
      assert.equal((await f.evaluate<StudyRecord>(health, 'GetStudy', { studyId: programme.id })).status, 'approved');
      // Only the programme's own agency spends its budget; a researcher cannot, nor use it as a research study.
      await rejectsWith(f.submit(researcher, 'SpendPrivacyBudget', spend), 'NOT_FOUND');
      await rejectsWith(f.evaluate(researcher, 'GetStudy', { studyId: programme.id }), 'NOT_FOUND');
      assert.equal(
        (await f.submit<{ remainingMicro: number }>(health, 'SpendPrivacyBudget', spend)).remainingMicro,
        500_000,
      );
      await rejectsWith(f.submit(health, 'SpendPrivacyBudget', { ...spend, epsilon: 0.6 }), 'BUDGET_EXHAUSTED');
      const after = await f.evaluate<StudyRecord>(health, 'GetStudy', { studyId: programme.id });
      assert.equal(after.epsilonSpentMicro, 500_000);
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      const p = await f.patient('opt-in');
      await f.record(drA, p.patientId);
      await f.consent(
        p,
        optInPermit({
          actor: [fhir.actor('Organization/ResearchMSP')],
          action: [fhir.action('use')],
          purpose: [fhir.purpose('HRESCH')],
        }),
      );
      // A researcher naming the programme as a study is refused once, as if it did not exist: nothing is decided or
      // written to the patient's trail.
      await rejectsWith(
        f.submit<AuthorizeCohortResult>(researcher, 'AuthorizeCohort', {
          patientIds: [p.patientId],
          purpose: 'HRESCH',
          studyId: programme.id,
        }),
        'NOT_FOUND',
      );
      const trail = await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {});
      assert.ok(
        !JSON.stringify(trail).includes(programme.id),
        'a refused cohort leaves nothing under the programme in the trail',
      );
      // The programme's own team stays within what ethics approved (Conditions), for its own purpose; once refused.
      const cohort = { patientIds: [p.patientId], purpose: 'PUBHLTH', studyId: programme.id };
      await rejectsWith(
        f.submit(health, 'AuthorizeCohort', { ...cohort, resourceTypes: ['Observation'] }),
        'ACCESS_DENIED',
        /not approved for Observation/,
      );
      await rejectsWith(f.submit(health, 'AuthorizeCohort', { ...cohort, purpose: 'HRESCH' }), 'INVALID_ARGUMENT');
      const drawn = await f.submit<AuthorizeCohortResult>(health, 'AuthorizeCohort', cohort);
      assert.deepEqual(
        drawn.members.flatMap((member) => member.records.map((record) => record.resourceType)),
        [],
        "the patient's Observation is outside the programme's Conditions",
      );
      const eventsAfter = await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {});
      assert.equal(
        eventsAfter.events.filter((event) => event.studyId === programme.id).length,
        1,
        'only the cohort drawn within the approval reached the trail',
      );
    });

    it('accounts δ on the ledger: Gaussian releases spend the study δ budget, and the one too many is refused', async () => {
      const f = await createFixture();
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      const ethics = await f.id('ResearchMSP', 'ethics', 'irb-1');
      const study = await f.submit<StudyRecord>(researcher, 'ProposeStudy', {
        resourceTypes: ['Observation'],
        protocolHash: sha256('gaussian study'),
        epsilonBudget: 1,
        deltaBudget: 2e-6,
      });
      assert.equal(study.deltaBudgetPico, 2_000_000);
      await f.submit(ethics, 'DecideStudy', { studyId: study.id, decision: 'approve' });
      const gaussian = { studyId: study.id, epsilon: 0.1, delta: 1e-6, queryHash: sha256('g') };
      await f.submit(researcher, 'SpendPrivacyBudget', gaussian);
      const second = await f.submit<{ deltaRemainingPico: number }>(researcher, 'SpendPrivacyBudget', gaussian);
      assert.equal(second.deltaRemainingPico, 0);
      await rejectsWith(f.submit(researcher, 'SpendPrivacyBudget', gaussian), 'BUDGET_EXHAUSTED');
      const after = await f.evaluate<StudyRecord>(researcher, 'GetStudy', { studyId: study.id });
      assert.equal(after.deltaSpentPico, 2_000_000);
      assert.equal(after.epsilonSpentMicro, 200_000, 'the refused spend took no epsilon either');
      // A Laplace release (no δ) still spends epsilon.
      await f.submit(researcher, 'SpendPrivacyBudget', { studyId: study.id, epsilon: 0.1, queryHash: sha256('l') });
      await rejectsWith(
        f.submit(researcher, 'SpendPrivacyBudget', { ...gaussian, delta: 1.5e-13 }),
        'INVALID_ARGUMENT',
      );
      const proposal = { resourceTypes: ['Observation'], protocolHash: sha256('too much δ'), epsilonBudget: 1 };
      assert.equal((await f.submit<StudyRecord>(researcher, 'ProposeStudy', proposal)).deltaBudgetPico, 10_000_000);
      for (const deltaBudget of [0.01, 1e-15, 1.0000000000005e-6]) {
        await rejectsWith(f.submit(researcher, 'ProposeStudy', { ...proposal, deltaBudget }), 'INVALID_ARGUMENT');
      }
    });

    it('refuses to spend privacy budget once the study has ended', async () => {
      const f = await createFixture();
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      const ethics = await f.id('ResearchMSP', 'ethics', 'irb-1');
      const study = await f.submit<StudyRecord>(researcher, 'ProposeStudy', {
        resourceTypes: ['Observation'],
        protocolHash: sha256('short study'),
        epsilonBudget: 1,
        periodEnd: '2025-06-30',
      });
      await f.submit(ethics, 'DecideStudy', { studyId: study.id, decision: 'approve' });
      const input = { studyId: study.id, epsilon: 0.1, queryHash: sha256('q') };
      await f.submit(researcher, 'SpendPrivacyBudget', input);
      await rejectsWith(
        f.submitAt(researcher, '2025-07-01T00:00:00Z', 'SpendPrivacyBudget', input),
        'STUDY_NOT_APPROVED',
      );
    });

    it('pages the audit trail with the bookmark it returns and refuses any other bookmark', async () => {
      const f = await createFixture();
      const p = await f.patient('mia');
      const other = await f.patient('ned');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      for (let i = 0; i < 3; i++) await f.submit(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      await f.submit(drA, 'AuthorizeAccess', read(other.patientId, 'TREAT'));
      type Page = { events: AuditRecord[]; bookmark: string };
      const first = await f.evaluate<Page>(p.identity, 'GetAuditTrail', { pageSize: 2 });
      assert.equal(first.events.length, 2);
      const second = await f.evaluate<Page>(p.identity, 'GetAuditTrail', { pageSize: 2, bookmark: first.bookmark });
      assert.equal(second.events.length, 1);
      const all = await f.evaluate<Page>(p.identity, 'GetAuditTrail', {});
      assert.deepEqual(
        [...first.events, ...second.events].map((e) => e.id),
        all.events.map((e) => e.id),
      );
      // Another patient's bookmark, a shortened one and free text are refused, evaluated or submitted.
      for (const bookmark of [first.bookmark, first.bookmark.slice(0, -1), 'Jane Doe, 12 Main Street']) {
        await rejectsWith(f.evaluate(other.identity, 'GetAuditTrail', { pageSize: 1, bookmark }), 'INVALID_ARGUMENT');
        await rejectsWith(f.submit(other.identity, 'GetAuditTrail', { pageSize: 1, bookmark }), 'INVALID_ARGUMENT');
      }
      const own = await f.evaluate<Page>(other.identity, 'GetAuditTrail', { pageSize: 1 });
      assert.equal(own.events.length, 1);
    });

    it('finds nothing to migrate on a ledger of this version, evaluated or submitted, and changes nothing', async () => {
      const f = await createFixture();
      const p = await f.patient('olga');
      const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
      await f.submit(drA, 'AuthorizeAccess', read(p.patientId, 'TREAT'));
      const trail = async (): Promise<string[]> =>
        (await f.evaluate<{ events: AuditRecord[] }>(p.identity, 'GetAuditTrail', {})).events.map((e) => e.id);
      const before = await trail();
      assert.equal(before.length, 1, 'the read');
      const admin = await f.id('HospitalBMSP', 'admin', 'adm-b');
      const nothing = { migrated: 0, remaining: false };
      assert.deepEqual(await f.evaluate(admin, 'MigrateAuditIndexes', { pageSize: 1 }), nothing);
      const submitted = await f.submitRaw(admin, 'MigrateAuditIndexes', {});
      assert.deepEqual(JSON.parse(submitted.result), nothing);
      assert.equal(submitted.event, null, 'no event for a migration that moved nothing');
      assert.deepEqual(await trail(), before);
      for (const input of [{ pageSize: 0 }, { pageSize: 501 }, { pageSize: 2.5 }, { pageSize: '10' }, { page: 1 }]) {
        await rejectsWith(f.evaluate(admin, 'MigrateAuditIndexes', input), 'INVALID_ARGUMENT');
      }
      await rejectsWith(
        f.submit(await f.id('HospitalBMSP', 'privacy-officer', 'po-b'), 'MigrateAuditIndexes', {}),
        'ACCESS_DENIED',
      );
    });

    it('refuses a study whose end is already past', async () => {
      const f = await createFixture();
      const researcher = await f.id('ResearchMSP', 'researcher', 'res-1');
      const study = { resourceTypes: ['Observation'], protocolHash: sha256('protocol'), epsilonBudget: 1 };
      await rejectsWith(
        f.submit(researcher, 'ProposeStudy', { ...study, periodEnd: '1959-08-26' }),
        'INVALID_ARGUMENT',
      );
      const accepted = await f.submit<StudyRecord>(researcher, 'ProposeStudy', { ...study, periodEnd: '2027-12-31' });
      assert.equal(accepted.periodEnd, '2027-12-31');
    });

    it('refuses a call with more or fewer arguments than the transaction declares', async () => {
      const f = await createFixture();
      const p = await f.patient('olga');
      await assert.rejects(f.submitRawArgs(p.identity, 'WhoAmI', '{"name":"Olga"}'), /Expected 0 parameters/);
      await assert.rejects(f.submitRawArgs(p.identity, 'GetMyConsents', '{}', '{}'), /Expected 0 parameters/);
      await assert.rejects(f.submitRawArgs(p.identity, 'RegisterPatient'), /Expected 1 parameters/);
      await assert.rejects(f.submitRawArgs(p.identity, 'RegisterPatient', '{}', '{}'), /Expected 1 parameters/);
    });

    it('rejects unknown transactions and malformed input with stable codes', async () => {
      const f = await createFixture();
      const p = await f.patient('lee');
      await rejectsWith(f.submitRawArgs(p.identity, 'DropAllTables', '{}'), 'INVALID_ARGUMENT');
      await rejectsWith(f.submitRawArgs(p.identity, 'AuthorizeAccess', 'not json'), 'INVALID_ARGUMENT');
      // A member given twice: JSON.parse would read the last, the block keeps both.
      await rejectsWith(
        f.submitRawArgs(
          p.identity,
          'AuthorizeAccess',
          `{"patientId":"${p.patientId}","purpose":"Jane Doe","purpose":"TREAT"}`,
        ),
        'INVALID_ARGUMENT',
      );
      await rejectsWith(
        f.submit(p.identity, 'AuthorizeAccess', { patientId: '70660c70-a188-4a1d-bbd1', purpose: 'TREAT' }),
        'INVALID_ARGUMENT',
      );
      await rejectsWith(
        f.submit(p.identity, 'AuthorizeAccess', { patientId: p.patientId, purpose: 'TREAT', name: 'Alice' }),
        'INVALID_ARGUMENT',
      );
      // On a ledger with an MSP this certificate is refused before the contract runs (an unknown CA), so only the code
      // is common to both adapters; the contract's own `[CODE]` message is checked by every other assertion here.
      await assert.rejects(f.submit(await f.identityWithoutMedledgerRole(), 'WhoAmI'), { code: 'UNAUTHENTICATED' });
    });
  });
}
