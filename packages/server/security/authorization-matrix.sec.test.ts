/**
 * The authorization matrix through the HTTP API (issue 9): every demo role × every endpoint and operation × consent
 * state, against ONE table of expected allow/deny. Every cell runs against a real server (embedded ledger, vaults).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { grant, ids, observation, TestServer } from './testing/fixtures.js';
import type { Response } from './testing/fixtures.js';

const ROLES = [
  'anonymous',
  'alice',
  'bob',
  'dr.grey',
  'dr.house',
  'po.hospa',
  'claims.ivy',
  'ph.olive',
  'res.rosa',
  'irb.ines',
  'admin.hospa',
  'admin.hospb',
] as const;
type Who = (typeof ROLES)[number];

/**
 * Consent states of alice (patient of HospitalA) towards HospitalB's clinicians:
 * none; consent = an active Consent for Observations (TREAT); revoked = that Consent revoked;
 * emergency = revoked + dr.house's active break-glass grant for alice.
 */
const STATES = ['none', 'consent', 'revoked', 'emergency'] as const;
type State = (typeof STATES)[number];

/**
 * THE TABLE. One string per operation, one letter per role in ROLES order:
 *   A = allowed in every state, D = denied in every state, C = allowed only while the consent is active,
 *   E = allowed only in the emergency state.
 * Operations marked `once` do not depend on alice's consents and run in the first state only.
 */
//                                                    anon alice bob grey house poA ivy olive rosa ines admA admB
const TABLE: Readonly<Record<string, string>> = {
  'read alice Observation': /*                    */ 'DADACDDDDDDD',
  'read alice Observation, ETREAT': /*            */ 'DDDDEDDDDDDD', // a TREAT consent does not cover ETREAT
  'read alice Condition': /*                      */ 'DADADDDDDDDD',
  'read alice Condition, ETREAT': /*              */ 'DDDDEDDDDDDD',
  'search alice Observations': /*                 */ 'DADACDDDDDDD',
  'search alice Conditions, ETREAT': /*           */ 'DDDDEDDDDDDD',
  'read alice Patient': /*                        */ 'DADACADDDDAD',
  'alice $everything': /*                         */ 'DADACADDDDAD',
  'create Observation for alice': /*              */ 'DDDACDDDDDDD',
  'update alice Observation (new version)': /*    */ 'DDDADDDDDDDD',
  'erase alice Observation': /*                   */ 'DADDDADDDDAD',
  'create Consent for alice': /*                  */ 'DADDDDDDDDDD',
  'read alice Consent': /*                        */ 'DADDDDDDDDDD',
  'revoke alice Consent': /*                      */ 'DADDDDDDDDDD',
  'search AuditEvents of alice': /*               */ 'DADDDADDDDDD',
  'read bob Observation': /*                      */ 'DDADADDDDDDD',
  'search bob Observations': /*                   */ 'DDADADDDDDDD',
  'create Patient': /*                            */ 'DDDAADDDDDDD',
  'break-glass on bob': /*                        */ 'DDDAADDDDDDD',
  'list alice as sharing with me': /*             */ 'DDDDCDDDDDDD', // her consent names HospitalB's clinicians
  'request access to alice': /*                   */ 'DDDAADADDDDD', // researchers only under an approved study
  'list emergency reviews': /*                    */ 'DDDDDADDDDDD',
  "list alice's emergency grants": /*             */ 'DEDDDDDDDDDD', // the patient's own, and only while one exists
  'revoke an emergency grant on alice': /*        */ 'DADDDDDDDDDD', // only the patient; not the clinician, not an officer
  'review a break-glass on a HospitalA patient': /* */ 'DDDDDADDDDDD', // the patient's hospital reviews, not dr.house's
  'propose a study': /*                           */ 'DDDDDDDDADDD',
  'decide a study': /*                            */ 'DDDDDDDDDADD',
  'DP cohort size of a study': /*                 */ 'DDDDDDDDADDD', // the proposing organisation's researchers only
  'de-identified export of a study': /*           */ 'DDDDDDDDADDD',
  'latest blocks': /*                             */ 'DDDDDDDDDDAA',
  'reset a HospitalA staff password': /*          */ 'DDDDDDDDDDAD',
  "reset alice's password": /*                    */ 'DDDDDDDDDDDD', // no administrator acts as a patient
  'list accounts': /*                             */ 'DDDDDDDDDDAA',
  'add an account': /*                            */ 'DDDDDDDDDDAA',
  'revoke a HospitalA account': /*                */ 'DDDDDDDDDDAD',
  'verify the network': /*                        */ 'DDDDDDDDDDAA',
  whoami: /*                                    */ 'DAAAAAAAAAAA',
  'read the directory': /*                        */ 'DAAAAAAAAAAA',
};
const ONCE = new Set([
  'read bob Observation',
  'search bob Observations',
  'create Patient',
  'break-glass on bob',
  'request access to alice',
  'list emergency reviews',
  'revoke an emergency grant on alice',
  'review a break-glass on a HospitalA patient',
  'propose a study',
  'decide a study',
  'DP cohort size of a study',
  'de-identified export of a study',
  'latest blocks',
  'reset a HospitalA staff password',
  "reset alice's password",
  'list accounts',
  'add an account',
  'revoke a HospitalA account',
  'verify the network',
  'whoami',
  'read the directory',
  'search AuditEvents of alice',
  'read alice Consent',
  'revoke alice Consent',
  'create Consent for alice',
  'erase alice Observation',
  'update alice Observation (new version)',
]);

function expected(code: string, state: State): boolean {
  switch (code) {
    case 'A':
      return true;
    case 'D':
      return false;
    case 'C':
      return state === 'consent';
    case 'E':
      return state === 'emergency';
    default:
      throw new Error(`bad table code ${code}`);
  }
}

interface Context {
  readonly server: TestServer;
  readonly alice: string;
  readonly bob: string;
  readonly aliceObs: string;
  readonly aliceCond: string;
  readonly bobObs: string;
  /** An active Consent of alice that grants something no row depends on (Immunizations to InsurerMSP). */
  readonly sideConsent: string;
  /** A study of ResearchMSP (res.rosa) approved by irb.ines. */
  readonly study: string;
  readonly row: number;
}

type Call = (who: Who, ctx: Context) => Promise<boolean>;

const ETREAT = { 'x-purpose-of-use': 'ETREAT' };
const DENY_STATUSES = new Set([401, 403, 404]);

function as(ctx: Context, who: Who, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, h = {}) {
  return ctx.server.as(who === 'anonymous' ? undefined : who, method, url, body, h);
}

/** allowed ⇔ 2xx; a denial must be 401/403/404 with an OperationOutcome (never 5xx, never data). */
function verdict(response: Response): boolean {
  if (response.status >= 200 && response.status < 300) return true;
  assert.ok(DENY_STATUSES.has(response.status), `a denial is 401/403/404, got ${response.status}: ${response.text}`);
  assert.equal(response.body.resourceType, 'OperationOutcome', response.text);
  return false;
}

/** A search is "allowed" when it returns the target; a denial is an empty 200 (or 401/403). */
function searchVerdict(response: Response, target: string): boolean {
  if (response.status !== 200) return verdict(response);
  const found = ids(response);
  if (found.includes(target)) return true;
  assert.equal(response.body.total, found.length, 'total counts only visible resources');
  return false;
}

async function freshObservation(ctx: Context): Promise<string> {
  const created = await ctx.server.as('dr.grey', 'POST', '/fhir/Observation', observation(ctx.alice, 90));
  assert.equal(created.status, 201, created.text);
  return String(created.body.id);
}

const CALLS: Readonly<Record<string, Call>> = {
  'read alice Observation': async (w, c) => verdict(await as(c, w, 'GET', `/fhir/Observation/${c.aliceObs}`)),
  'read alice Observation, ETREAT': async (w, c) =>
    verdict(await as(c, w, 'GET', `/fhir/Observation/${c.aliceObs}`, undefined, ETREAT)),
  'read alice Condition': async (w, c) => verdict(await as(c, w, 'GET', `/fhir/Condition/${c.aliceCond}`)),
  'read alice Condition, ETREAT': async (w, c) =>
    verdict(await as(c, w, 'GET', `/fhir/Condition/${c.aliceCond}`, undefined, ETREAT)),
  'search alice Observations': async (w, c) =>
    searchVerdict(await as(c, w, 'GET', `/fhir/Observation?patient=Patient/${c.alice}`), c.aliceObs),
  'search alice Conditions, ETREAT': async (w, c) =>
    searchVerdict(await as(c, w, 'GET', `/fhir/Condition?patient=${c.alice}`, undefined, ETREAT), c.aliceCond),
  'read alice Patient': async (w, c) => verdict(await as(c, w, 'GET', `/fhir/Patient/${c.alice}`)),
  'alice $everything': async (w, c) => {
    const response = await as(c, w, 'GET', `/fhir/Patient/${c.alice}/$everything`);
    return verdict(response) && ids(response).includes(c.alice);
  },
  'create Observation for alice': async (w, c) =>
    verdict(await as(c, w, 'POST', '/fhir/Observation', observation(c.alice, 70 + (c.row % 30)))),
  'update alice Observation (new version)': async (w, c) => {
    const id = await freshObservation(c);
    return verdict(await as(c, w, 'PUT', `/fhir/Observation/${id}`, { ...observation(c.alice, 99), id }));
  },
  'erase alice Observation': async (w, c) => {
    const id = await freshObservation(c);
    const h = { 'x-patient-request': 'patient asked by letter' };
    return verdict(await as(c, w, 'DELETE', `/fhir/Observation/${id}`, undefined, h));
  },
  'create Consent for alice': async (w, c) =>
    verdict(await as(c, w, 'POST', '/fhir/Consent', grant(c.alice, 'Immunization', 'InsurerMSP-insurer'))),
  'read alice Consent': async (w, c) => verdict(await as(c, w, 'GET', `/fhir/Consent/${c.sideConsent}`)),
  'revoke alice Consent': async (w, c) => {
    const created = await c.server.as(
      'alice',
      'POST',
      '/fhir/Consent',
      grant(c.alice, 'Procedure', 'InsurerMSP-insurer'),
    );
    assert.equal(created.status, 201, created.text);
    return verdict(await as(c, w, 'DELETE', `/fhir/Consent/${String(created.body.id)}`));
  },
  'search AuditEvents of alice': async (w, c) => {
    const response = await as(c, w, 'GET', `/fhir/AuditEvent?patient=Patient/${c.alice}`);
    return verdict(response) && ids(response).length > 0;
  },
  'read bob Observation': async (w, c) => verdict(await as(c, w, 'GET', `/fhir/Observation/${c.bobObs}`)),
  'search bob Observations': async (w, c) =>
    searchVerdict(await as(c, w, 'GET', `/fhir/Observation?patient=${c.bob}`), c.bobObs),
  'create Patient': async (w, c) =>
    verdict(
      await as(c, w, 'POST', '/fhir/Patient', {
        resourceType: 'Patient',
        name: [{ family: `Matrix${c.row}`, given: ['Row'] }],
        birthDate: '1990-01-01',
      }),
    ),
  'break-glass on bob': async (w, c) =>
    verdict(
      await as(c, w, 'POST', '/api/break-glass', {
        patient: `Patient/${c.bob}`,
        reason: 'matrix row emergency',
        reasonCode: 'unconscious-patient',
      }),
    ),
  'list alice as sharing with me': async (w, c) => {
    const response = await as(c, w, 'GET', '/api/shared-patients');
    if (!verdict(response)) return false;
    return (response.body as unknown as Array<{ patientId: string }>).some((entry) => entry.patientId === c.alice);
  },
  'request access to alice': async (w, c) =>
    verdict(
      await as(c, w, 'POST', '/api/access-requests', {
        patient: `Patient/${c.alice}`,
        resourceTypes: ['Observation'],
        reasonCode: 'referral',
      }),
    ),
  'list emergency reviews': async (w, c) => verdict(await as(c, w, 'GET', '/api/emergency-reviews')),
  "list alice's emergency grants": async (w, c) => {
    const response = await as(c, w, 'GET', '/api/emergency-grants');
    if (!verdict(response)) return false;
    // Grants the revoke row made and alice ended are listed too; the row is about the one in force.
    const grants = response.body as unknown as Array<{ patientId: string; endedAt?: string }>;
    return grants.some((grant) => grant.patientId === c.alice && grant.endedAt === undefined);
  },
  'revoke an emergency grant on alice': async (w, c) => {
    const glass = await c.server.as('dr.house', 'POST', '/api/break-glass', {
      patient: `Patient/${c.alice}`,
      reason: 'matrix revoke row',
      reasonCode: 'unconscious-patient',
    });
    assert.equal(glass.status, 201, glass.text);
    const url = `/api/emergency-grants/${String(glass.body.id)}/revoke`;
    const allowed = verdict(await as(c, w, 'POST', url));
    // A grant the caller could not end must not outlive the row and widen the ETREAT rows: alice ends it.
    if (!allowed) {
      const ended = await c.server.as('alice', 'POST', url);
      assert.equal(ended.status, 200, ended.text);
    }
    return allowed;
  },
  'review a break-glass on a HospitalA patient': async (w, c) => {
    // A new HospitalA patient each time, so that no grant on alice outlives this row and changes other rows.
    const patient = await c.server.as('dr.grey', 'POST', '/fhir/Patient', {
      resourceType: 'Patient',
      name: [{ family: `Review${c.row}`, given: ['Row'] }],
      birthDate: '1980-01-01',
    });
    assert.equal(patient.status, 201, patient.text);
    const glass = await c.server.as('dr.house', 'POST', '/api/break-glass', {
      patient: `Patient/${String(patient.body.id)}`,
      reason: 'matrix review row',
      reasonCode: 'unconscious-patient',
    });
    assert.equal(glass.status, 201, glass.text);
    const body = { patient: `Patient/${String(patient.body.id)}`, outcome: 'justified' };
    return verdict(await as(c, w, 'POST', `/api/emergency-reviews/${String(glass.body.id)}`, body));
  },
  'propose a study': async (w, c) =>
    verdict(await as(c, w, 'POST', '/api/studies', { protocol: `matrix ${c.row}`, epsilonBudget: 1 })),
  'decide a study': async (w, c) => {
    const proposed = await c.server.as('res.rosa', 'POST', '/api/studies', {
      protocol: `matrix decision ${c.row}`,
      epsilonBudget: 1,
    });
    assert.equal(proposed.status, 201, proposed.text);
    const url = `/api/studies/${String(proposed.body.id)}/decision`;
    return verdict(await as(c, w, 'POST', url, { decision: 'approve' }));
  },
  'DP cohort size of a study': async (w, c) =>
    verdict(await as(c, w, 'POST', `/api/studies/${c.study}/cohort-size`, { epsilon: 0.01 })),
  'de-identified export of a study': async (w, c) =>
    verdict(await as(c, w, 'POST', `/api/studies/${c.study}/export`, { format: 'csv' })),
  'latest blocks': async (w, c) => verdict(await as(c, w, 'GET', '/api/network/blocks?limit=2')),
  'reset a HospitalA staff password': async (w, c) => {
    const username = `matrix.staff${c.row}`;
    const created = await c.server.as('admin.hospa', 'POST', '/api/admin/users', {
      username,
      displayName: 'Matrix staff',
      role: 'clinician',
      password: 'a-long-enough-password-123',
    });
    assert.equal(created.status, 201, created.text);
    const body = { password: 'another-long-password-456' };
    return verdict(await as(c, w, 'POST', `/api/admin/users/${username}/password`, body));
  },
  "reset alice's password": async (w, c) =>
    verdict(await as(c, w, 'POST', '/api/admin/users/alice/password', { password: 'an-admin-chosen-password-1' })),
  'list accounts': async (w, c) => verdict(await as(c, w, 'GET', '/api/admin/users')),
  'add an account': async (w, c) =>
    verdict(
      await as(c, w, 'POST', '/api/admin/users', {
        username: `matrix.user${c.row}`,
        displayName: 'Matrix user',
        role: 'clinician',
        password: 'a-long-enough-password-123',
      }),
    ),
  'revoke a HospitalA account': async (w, c) => {
    const username = `matrix.victim${c.row}`;
    const created = await c.server.as('admin.hospa', 'POST', '/api/admin/users', {
      username,
      displayName: 'Matrix victim',
      role: 'clinician',
      password: 'a-long-enough-password-123',
    });
    assert.equal(created.status, 201, created.text);
    return verdict(await as(c, w, 'POST', `/api/admin/users/${username}/revoke`));
  },
  'verify the network': async (w, c) => verdict(await as(c, w, 'POST', '/api/network/verify')),
  whoami: async (w, c) => verdict(await as(c, w, 'GET', '/api/whoami')),
  'read the directory': async (w, c) => verdict(await as(c, w, 'GET', '/fhir/Organization')),
};

describe('authorization matrix through the HTTP API (roles × operations × consent states)', () => {
  let server: TestServer;
  let base: Omit<Context, 'row'>;
  const mismatches: string[] = [];
  let cells = 0;

  before(async () => {
    server = await TestServer.start();
    const alice = server.patientId('alice');
    const bob = server.patientId('bob');
    const first = async (who: string, url: string): Promise<string> => {
      const response = await server.as(who, 'GET', url);
      const id = ids(response)[0];
      assert.ok(id !== undefined, `${url}: ${response.text}`);
      return id;
    };
    const side = await server.as('alice', 'POST', '/fhir/Consent', grant(alice, 'Immunization', 'InsurerMSP-insurer'));
    assert.equal(side.status, 201, side.text);
    const study = await server.as('res.rosa', 'POST', '/api/studies', { protocol: 'matrix study', epsilonBudget: 10 });
    assert.equal(study.status, 201, study.text);
    const approved = await server.as('irb.ines', 'POST', `/api/studies/${String(study.body.id)}/decision`, {
      decision: 'approve',
    });
    assert.equal(approved.status, 200, approved.text);
    base = {
      server,
      study: String(study.body.id),
      alice,
      bob,
      aliceObs: await first('alice', '/fhir/Observation'),
      aliceCond: await first('alice', '/fhir/Condition'),
      bobObs: await first('bob', '/fhir/Observation'),
      sideConsent: String(side.body.id),
    };
  });
  after(async () => server.stop());

  it('the table covers every operation with one column per role', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), Object.keys(CALLS).sort());
    for (const [op, row] of Object.entries(TABLE)) assert.equal(row.length, ROLES.length, op);
  });

  let consentId = '';
  const enter: Record<State, () => Promise<void>> = {
    none: () => Promise.resolve(),
    consent: async () => {
      const created = await server.as('alice', 'POST', '/fhir/Consent', grant(base.alice));
      assert.equal(created.status, 201, created.text);
      consentId = String(created.body.id);
    },
    revoked: async () => {
      const revoked = await server.as('alice', 'DELETE', `/fhir/Consent/${consentId}`);
      assert.equal(revoked.status, 200, revoked.text);
    },
    emergency: async () => {
      const glass = await server.as('dr.house', 'POST', '/api/break-glass', {
        patient: `Patient/${base.alice}`,
        reason: 'matrix emergency state',
        reasonCode: 'unconscious-patient',
      });
      assert.equal(glass.status, 201, glass.text);
    },
  };

  for (const state of STATES) {
    it(`state "${state}": every role × operation answers as the table says`, async () => {
      await enter[state]();
      for (const [op, row] of Object.entries(TABLE)) {
        if (state !== 'none' && ONCE.has(op)) continue;
        for (const [index, who] of ROLES.entries()) {
          cells += 1;
          const want = expected(row[index] ?? '?', state);
          const got = await CALLS[op]!(who, { ...base, row: cells });
          if (got !== want) mismatches.push(`${state} | ${op} | ${who}: expected ${want ? 'allow' : 'deny'}`);
        }
      }
    });
  }

  it('100% of the cells match the table', () => {
    assert.ok(cells >= 500, `${cells} cells`);
    assert.deepEqual(mismatches, []);
    process.stdout.write(`# authorization matrix: ${cells} cells, ${mismatches.length} mismatches\n`);
  });
});
