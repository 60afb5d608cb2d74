/**
 * DESIGN principle 6: deterministic chaincode. Endorsing peers execute a proposal independently and the client only
 * gets a valid transaction when their proposal responses are byte-identical, so every submitting transaction must
 * produce the same read set, write set, event and response from the same committed state, tx id and timestamp.
 *
 * Each case builds the same history on two independent ledgers ("peers"), then simulates one transaction without
 * committing, twice on the first peer and once on the second. The second peer runs with a skewed wall clock and its
 * own random sequence (Date, Math.random and node:crypto's random functions are replaced), so a contract that read
 * the clock or randomness would disagree with the first peer. Negative controls show the comparison can fail.
 */
import assert from 'node:assert/strict';
import nodeCrypto, { createHash, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { MedledgerContract } from './medledger-contract.js';
import { createContractHarness } from '../testing/contract-harness.js';
import type { ContractHarness, InvokeResult } from '../testing/contract-harness.js';
import { rewriteAuditIntoLegacyLayout } from '../testing/legacy-audit-layout.js';
import { consentResource, fhir, sha256, testRecordId, testRequestId } from '../testing/medledger-fixture.js';
import { createTestNetwork, testPatientUid } from '../testing/test-ca.js';
import type { TestIdentity } from '../testing/test-ca.js';

const HISTORY_START = Date.parse('2025-03-01T08:00:00Z');
/** When the transaction under test runs: after the history, while the break-glass grant is still active. */
const SIM_TIME = '2025-03-01T09:00:00Z';
const SIM_TX_ID = txIdOf('transaction under test');

function txIdOf(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// Byte-exact view of a simulation
// ---------------------------------------------------------------------------------------------------------------

/** Everything an endorsing peer signs in its proposal response (for one namespace), as one length-prefixed buffer. */
function endorsementBytes(sim: InvokeResult): Buffer {
  const parts: Buffer[] = [];
  const field = (bytes: Uint8Array | string): void => {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(buffer.length);
    parts.push(length, buffer);
  };
  field('response');
  field(sim.result);
  field('reads');
  for (const read of sim.reads) {
    field(read.key);
    field(read.version === null ? '-' : `${String(read.version.blockNum)}:${String(read.version.txNum)}`);
  }
  field('range-queries');
  for (const query of sim.rangeQueries) {
    field(query.startKey);
    field(query.endKey);
    field(query.exhausted ? 'exhausted' : 'partial');
    for (const item of query.itemsRead) {
      field(item.key);
      field(`${String(item.version.blockNum)}:${String(item.version.txNum)}`);
    }
  }
  field('writes');
  for (const write of sim.writes) {
    field(write.key);
    field(write.value === null ? 'delete' : 'put');
    if (write.value !== null) field(write.value);
  }
  field('event');
  if (sim.event !== null) {
    field(sim.event.name);
    field(sim.event.payload);
  }
  return Buffer.concat(parts);
}

/** A readable form for the assertion message when bytes differ. */
function readable(sim: InvokeResult): unknown {
  const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
  return {
    result: sim.result,
    reads: sim.reads.map((r) => [r.key, r.version]),
    rangeQueries: sim.rangeQueries,
    writes: sim.writes.map((w) => [w.key, w.value === null ? null : text(w.value)]),
    event: sim.event === null ? null : [sim.event.name, text(sim.event.payload)],
  };
}

function assertSameBytes(a: InvokeResult, b: InvokeResult, what: string): void {
  const left = endorsementBytes(a);
  const right = endorsementBytes(b);
  if (!left.equals(right)) {
    assert.deepEqual(readable(a), readable(b), `${what}: simulations differ`);
    assert.fail(`${what}: simulations differ in bytes that the readable form hides`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A "different peer": skewed wall clock and different randomness
// ---------------------------------------------------------------------------------------------------------------

const CLOCK_SKEW_MS = 3 * 24 * 3600 * 1000 + 12_345;

/**
 * Runs `work` with a wall clock three days ahead and a different source of randomness. Only the global Date,
 * Math.random and the node:crypto module object are replaced: the contract is compiled to CommonJS, where
 * `crypto.randomUUID()` and friends are looked up on that object at call time.
 */
async function onAnotherPeer<T>(work: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  const realRandom = Math.random;
  // The module object itself (what `require('node:crypto')` gives the contract), not an ESM namespace copy.
  const cryptoModule = nodeCrypto as unknown as Record<string, unknown>;
  const realCrypto = {
    randomUUID: cryptoModule.randomUUID,
    randomBytes: cryptoModule.randomBytes,
    randomInt: cryptoModule.randomInt,
  };
  let counter = 0;
  const next = (): number => (++counter * 0.6180339887) % 1;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args: unknown[]) =>
      args.length === 0 ? new target(target.now() + CLOCK_SKEW_MS) : (Reflect.construct(target, args) as object),
    apply: () => new RealDate(RealDate.now() + CLOCK_SKEW_MS).toString(),
    get: (target, property, receiver) =>
      property === 'now' ? () => target.now() + CLOCK_SKEW_MS : (Reflect.get(target, property, receiver) as unknown),
  });
  Math.random = next;
  const patched = (name: string, value: unknown): void => {
    Object.defineProperty(cryptoModule, name, { value, configurable: true, writable: true });
  };
  patched('randomUUID', () => `00000000-0000-4000-8000-${String(counter++).padStart(12, '0')}`);
  patched('randomBytes', (size: number) => Buffer.alloc(size, ++counter % 256));
  patched('randomInt', (min: number, max?: number) => (max === undefined ? 0 : min));
  try {
    return await work();
  } finally {
    globalThis.Date = RealDate;
    Math.random = realRandom;
    for (const [name, value] of Object.entries(realCrypto)) patched(name, value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The shared history
// ---------------------------------------------------------------------------------------------------------------

interface Identities {
  readonly alice: TestIdentity;
  readonly carol: TestIdentity;
  readonly drA: TestIdentity;
  readonly drB: TestIdentity;
  readonly insurer: TestIdentity;
  readonly researcher: TestIdentity;
  readonly ethics: TestIdentity;
  readonly poA: TestIdentity;
  readonly adminA: TestIdentity;
  readonly adminB: TestIdentity;
  readonly publicHealth: TestIdentity;
}

/** Ids the history created; identical on both peers (asserted). */
interface History {
  readonly alice: string;
  readonly bob: string;
  readonly carol: string;
  readonly aliceConsent: string;
  readonly insurerRequest: string;
  readonly grant: string;
  /** dr-a's break-glass on carol, which carol ends in the RevokeEmergencyAccess case. */
  readonly carolGrant: string;
  readonly approvedStudy: string;
  readonly proposedStudy: string;
  /** The health authority's approved surveillance programme (PUBHLTH). */
  readonly programme: string;
}

class Peer {
  readonly harness: ContractHarness = createContractHarness(new MedledgerContract());
  #step = 0;

  /** Commits one transaction with a tx id and time that depend only on its position in the history. */
  async submit<T>(identity: TestIdentity, tx: string, input?: unknown): Promise<T> {
    const step = this.#step++;
    const result = await this.harness.invokeWith(
      {
        identity,
        txId: txIdOf(`history ${String(step)}`),
        time: new Date(HISTORY_START + step * 7_000).toISOString(),
      },
      tx,
      ...(input === undefined ? [] : [JSON.stringify(input)]),
    );
    return JSON.parse(result.result) as T;
  }

  simulate(identity: TestIdentity, tx: string, input: unknown, at = { txId: SIM_TX_ID, time: SIM_TIME }) {
    return this.harness.invokeWith({ identity, ...at, commit: false }, tx, JSON.stringify(input));
  }
}

/** A record named by a label; its id is the label's record id (`testRecordId`). */
function recordInput(label: string, patientId: string, extra: Record<string, unknown> = {}) {
  const recordId = testRecordId(label);
  return {
    recordId,
    patientId,
    resourceType: 'Observation',
    category: 'laboratory',
    securityLabels: [],
    codes: [{ system: 'http://loinc.org', code: '4548-4' }],
    clinicalDate: '2024-11-02',
    related: [`Encounter/${testRecordId('enc-1')}`],
    ciphertextSha256: sha256(`ciphertext ${recordId}`),
    plaintextHmac: sha256(`plaintext ${recordId}`),
    ...extra,
  };
}

const permitChild = (child: Record<string, unknown>) => ({ type: 'deny', provision: [{ type: 'permit', ...child }] });

async function buildHistory(peer: Peer, id: Identities): Promise<History> {
  await peer.submit(id.adminB, 'SetEmergencyPolicy', { durationMinutes: 120 });
  const alice = (await peer.submit<{ patientId: string }>(id.alice, 'RegisterPatient', {})).patientId;
  const bob = (
    await peer.submit<{ patientId: string }>(id.drA, 'RegisterPatient', { patientUid: testPatientUid('bob') })
  ).patientId;
  const carol = (await peer.submit<{ patientId: string }>(id.carol, 'RegisterPatient', {})).patientId;
  await peer.submit(id.drA, 'RegisterRecord', recordInput('obs-a1', alice));
  await peer.submit(
    id.drA,
    'RegisterRecord',
    recordInput('obs-a2', alice, { securityLabels: [fhir.sensitivity('HIV')], codes: [] }),
  );
  await peer.submit(id.drA, 'RegisterRecord', recordInput('cond-a3', alice, { resourceType: 'Condition' }));
  await peer.submit(id.drA, 'RegisterRecord', recordInput('obs-b1', bob));
  await peer.submit(id.drB, 'RegisterRecord', recordInput('obs-c1', carol, { resourceType: 'Encounter' }));
  const aliceConsent = (
    await peer.submit<{ id: string }>(
      id.alice,
      'PutConsent',
      consentResource(
        alice,
        permitChild({
          actor: [fhir.actor('Group/HospitalBMSP-clinician')],
          purpose: [fhir.purpose('TREAT')],
          class: [fhir.type('Observation')],
        }),
      ),
    )
  ).id;
  await peer.submit(
    id.alice,
    'PutConsent',
    consentResource(
      alice,
      permitChild({
        actor: [fhir.actor('Organization/ResearchMSP')],
        action: [fhir.action('use')],
        purpose: [fhir.purpose('HRESCH')],
      }),
    ),
  );
  const insurerRequest = (
    await peer.submit<{ id: string }>(id.insurer, 'RequestAccess', {
      patientId: alice,
      purpose: 'HPAYMT',
      resourceTypes: ['Claim', 'Encounter', 'Observation'],
      reasonCode: 'payment-claim',
    })
  ).id;
  const grant = (
    await peer.submit<{ id: string }>(id.drB, 'BreakGlass', {
      patientId: bob,
      reasonHash: sha256('unconscious on arrival'),
      reasonCode: 'unconscious-patient',
    })
  ).id;
  const carolGrant = (
    await peer.submit<{ id: string }>(id.drA, 'BreakGlass', {
      patientId: carol,
      reasonHash: sha256('seizure in the waiting room'),
      reasonCode: 'urgent-care',
    })
  ).id;
  const study = (protocol: string) =>
    peer.submit<{ id: string }>(id.researcher, 'ProposeStudy', {
      resourceTypes: ['Observation', 'Condition'],
      protocolHash: sha256(protocol),
      epsilonBudget: 2,
    });
  const approvedStudy = (await study('protocol 1')).id;
  await peer.submit(id.ethics, 'DecideStudy', { studyId: approvedStudy, decision: 'approve' });
  const proposedStudy = (await study('protocol 2')).id;
  const programme = (
    await peer.submit<{ id: string }>(id.publicHealth, 'ProposeStudy', {
      purpose: 'PUBHLTH',
      resourceTypes: ['Observation'],
      protocolHash: sha256('surveillance programme'),
      epsilonBudget: 2,
    })
  ).id;
  await peer.submit(id.ethics, 'DecideStudy', { studyId: programme, decision: 'approve' });
  await peer.submit(id.researcher, 'SpendPrivacyBudget', {
    studyId: approvedStudy,
    epsilon: 0.25,
    queryHash: sha256('query 1'),
  });
  await peer.submit(id.drA, 'AuthorizeAccess', { patientId: alice, purpose: 'TREAT' });
  await peer.submit(id.drB, 'AuthorizeAccess', { patientId: alice, purpose: 'TREAT' });
  // An upgraded ledger: the audit events so far are indexed as the previous contract version did (MigrateAuditIndexes).
  rewriteAuditIntoLegacyLayout(peer.harness.state);
  return {
    alice,
    bob,
    carol,
    aliceConsent,
    insurerRequest,
    grant,
    carolGrant,
    approvedStudy,
    proposedStudy,
    programme,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One case per submitting transaction
// ---------------------------------------------------------------------------------------------------------------

interface Case {
  readonly tx: string;
  readonly who: keyof Identities;
  readonly input: (h: History) => unknown;
  /** Where the result carries an id derived from the tx id. */
  readonly newId?: (result: Record<string, unknown>) => unknown;
  /**
   * For a transaction that uses neither the tx id nor the time: another input, for the negative control (which
   * otherwise changes the tx id and time).
   */
  readonly otherInput?: (h: History) => unknown;
}

const CASES: readonly Case[] = [
  {
    tx: 'RegisterPatient',
    who: 'drA',
    input: () => ({ patientUid: testPatientUid('dave') }),
    newId: (r) => r.patientId,
  },
  {
    tx: 'RegisterRecord',
    who: 'drA',
    input: (h) => recordInput('obs-a1-v2', h.alice, { supersedes: testRecordId('obs-a1') }),
  },
  {
    tx: 'RegisterRecords',
    who: 'drA',
    input: (h) => ({
      records: [
        recordInput('obs-a1-v2b', h.alice, { supersedes: testRecordId('obs-a1') }),
        recordInput('obs-b2', h.bob, { securityLabels: [fhir.sensitivity('HIV')] }),
        recordInput('cond-a4', h.alice, { resourceType: 'Condition', category: 'problem-list-item' }),
      ],
    }),
  },
  { tx: 'EraseRecord', who: 'alice', input: () => ({ recordId: testRecordId('cond-a3') }), newId: (r) => r.receiptId },
  {
    tx: 'PutConsent',
    who: 'alice',
    input: (h) =>
      consentResource(
        h.alice,
        {
          type: 'permit',
          actor: [fhir.actor('Practitioner/dr-b')],
          provision: [{ type: 'deny', securityLabel: [fhir.sensitivity('HIV'), fhir.confidentiality('R')] }],
        },
        { policyRule: 'OPTOUT' },
      ),
    newId: (r) => r.id,
  },
  { tx: 'RevokeConsent', who: 'alice', input: (h) => ({ consentId: h.aliceConsent }) },
  {
    tx: 'RequestAccess',
    who: 'drB',
    input: (h) => ({
      patientId: h.alice,
      purpose: 'TREAT',
      resourceTypes: ['Condition', 'Observation'],
      sensitiveLabels: [fhir.sensitivity('PSY')],
      periodEnd: '2025-12-31',
      reasonCode: 'referral',
      reasonHash: sha256('referral letter'),
    }),
    newId: (r) => r.id,
  },
  {
    tx: 'RespondToAccessRequest',
    who: 'alice',
    input: (h) => ({ requestId: h.insurerRequest, decision: 'approve', resourceTypes: ['Claim', 'Encounter'] }),
    newId: (r) => (r.consent as { id: string }).id,
  },
  {
    tx: 'BreakGlass',
    who: 'drB',
    input: (h) => ({ patientId: h.alice, reasonHash: sha256('collapsed'), reasonCode: 'life-threatening' }),
    newId: (r) => r.id,
  },
  { tx: 'RevokeEmergencyAccess', who: 'carol', input: (h) => ({ grantId: h.carolGrant }) },
  {
    tx: 'ReviewEmergencyAccess',
    who: 'poA',
    input: (h) => ({ grantId: h.grant, patientId: h.bob, outcome: 'justified', noteHash: sha256('ok') }),
  },
  { tx: 'SetEmergencyPolicy', who: 'adminA', input: () => ({ durationMinutes: 90 }) },
  {
    tx: 'MigrateAuditIndexes',
    who: 'adminA',
    input: () => ({ pageSize: 5 }),
    otherInput: () => ({ pageSize: 1 }),
  },
  {
    tx: 'AuthorizeAccess',
    who: 'drB',
    input: (h) => ({ patientId: h.alice, purpose: 'TREAT', interaction: 'search', requestId: testRequestId('42') }),
    newId: (r) => r.auditEventId,
  },
  {
    tx: 'AuthorizeAccess',
    who: 'drB',
    input: (h) => ({ patientId: h.bob, purpose: 'ETREAT', recordIds: [testRecordId('obs-b1')], interaction: 'read' }),
    newId: (r) => r.auditEventId,
  },
  {
    tx: 'AuthorizeCohort',
    who: 'researcher',
    input: (h) => ({ patientIds: [h.carol, h.bob, h.alice], purpose: 'HRESCH', studyId: h.approvedStudy }),
    newId: (r) => (r.members as Array<{ auditEventId: string }>).map((m) => m.auditEventId),
  },
  {
    tx: 'AuthorizeCohort',
    who: 'publicHealth',
    input: (h) => ({
      patientIds: [h.alice, h.bob, h.carol],
      purpose: 'PUBHLTH',
      resourceTypes: ['Observation'],
      studyId: h.programme,
    }),
  },
  {
    tx: 'ProposeStudy',
    who: 'researcher',
    input: () => ({ resourceTypes: ['Encounter'], protocolHash: sha256('protocol 3'), epsilonBudget: 1.5 }),
    newId: (r) => r.id,
  },
  { tx: 'DecideStudy', who: 'ethics', input: (h) => ({ studyId: h.proposedStudy, decision: 'reject' }) },
  {
    tx: 'SpendPrivacyBudget',
    who: 'researcher',
    input: (h) => ({ studyId: h.approvedStudy, epsilon: 0.333333, queryHash: sha256('query 2') }),
  },
];

/** Every transaction the contract declares as submitting (`@Transaction()`, not `@Transaction(false)`). */
function submittingTransactions(): string[] {
  const declared = Reflect.getMetadata('fabric:transactions', new MedledgerContract()) as Array<{
    name: string;
    tag?: string[];
  }>;
  return declared
    .filter((tx) => tx.tag?.includes('submitTx') ?? false)
    .map((tx) => tx.name)
    .sort();
}

describe('deterministic chaincode (two endorsing peers, same history)', () => {
  let id: Identities;
  let peer1: Peer;
  let peer2: Peer;
  let history: History;

  before(async () => {
    const network = await createTestNetwork();
    id = {
      alice: await network.identity('HospitalAMSP', 'patient', 'alice'),
      carol: await network.identity('HospitalBMSP', 'patient', 'carol'),
      drA: await network.identity('HospitalAMSP', 'clinician', 'dr-a'),
      drB: await network.identity('HospitalBMSP', 'clinician', 'dr-b'),
      insurer: await network.identity('InsurerMSP', 'insurer', 'ins-1'),
      researcher: await network.identity('ResearchMSP', 'researcher', 'res-1'),
      ethics: await network.identity('ResearchMSP', 'ethics', 'irb-1'),
      poA: await network.identity('HospitalAMSP', 'privacy-officer', 'po-a'),
      adminA: await network.identity('HospitalAMSP', 'admin', 'adm-a'),
      adminB: await network.identity('HospitalBMSP', 'admin', 'adm-b'),
      publicHealth: await network.identity('HealthAuthorityMSP', 'public-health', 'ph-1'),
    };
    peer1 = new Peer();
    peer2 = new Peer();
    history = await buildHistory(peer1, id);
    const history2 = await onAnotherPeer(() => buildHistory(peer2, id));
    assert.deepEqual(history2, history, 'the same history creates the same ids on both peers');
  });

  it('covers every submitting transaction of the contract', () => {
    const covered = [...new Set(CASES.map((c) => c.tx))].sort();
    const declared = submittingTransactions();
    assert.ok(declared.length >= 15, `found the contract's submitting transactions: ${declared.join(', ')}`);
    assert.deepEqual(covered, declared);
  });

  it('builds byte-identical world state and history on both peers', () => {
    const dump = (peer: Peer): Buffer =>
      Buffer.concat(
        peer.harness.allWrittenBytes().flatMap((bytes) => [Buffer.from(`${String(bytes.length)}:`), bytes]),
      );
    // allWrittenBytes also holds creator certificates, which are the same identities on both peers.
    assert.ok(dump(peer1).equals(dump(peer2)));
  });

  for (const [index, c] of CASES.entries()) {
    it(`${c.tx} #${String(index)}: same writes, event and response on every execution and peer`, async () => {
      const who = id[c.who];
      const input = c.input(history);
      const first = await peer1.simulate(who, c.tx, input);
      const again = await peer1.simulate(who, c.tx, input);
      const otherPeer = await onAnotherPeer(() => peer2.simulate(who, c.tx, input));

      // Not vacuous: the transaction succeeded, wrote state and emitted its event.
      assert.ok(first.writes.length > 0, 'the transaction writes state');
      assert.notEqual(first.event, null, 'the transaction emits an event');
      assert.ok(first.result.length > 0, 'the transaction returns a response');
      assertSameBytes(first, again, 'second execution on the same peer');
      assertSameBytes(first, otherPeer, 'execution on the other peer');

      // Negative control: another tx id and time (or input) do change the outcome, so equality above is not trivial.
      const other = c.otherInput
        ? await peer1.simulate(who, c.tx, c.otherInput(history))
        : await peer1.simulate(who, c.tx, input, { txId: txIdOf('another transaction'), time: '2025-03-01T09:30:00Z' });
      assert.ok(
        !endorsementBytes(first).equals(endorsementBytes(other)),
        'a different tx id and time (or input) show up',
      );
      if (c.newId) {
        const otherTxSameTime = await peer1.simulate(who, c.tx, input, {
          txId: txIdOf('yet another transaction'),
          time: SIM_TIME,
        });
        const idOf = (sim: InvokeResult) => c.newId?.(JSON.parse(sim.result) as Record<string, unknown>);
        assert.ok(idOf(first) !== undefined, 'the case names the id the transaction creates');
        assert.notDeepEqual(idOf(otherTxSameTime), idOf(first), 'ids are derived from the tx id');
        assert.deepEqual(idOf(again), idOf(first));
      }
    });
  }

  it('the comparison sees a single changed byte', async () => {
    const sim = await peer1.simulate(id.drB, 'AuthorizeAccess', { patientId: history.alice, purpose: 'TREAT' });
    const write = sim.writes[0]!;
    const flipped = Uint8Array.from(write.value ?? []);
    flipped[flipped.length - 2] = (flipped[flipped.length - 2] ?? 0) ^ 1;
    const tampered: InvokeResult = { ...sim, writes: [{ key: write.key, value: flipped }, ...sim.writes.slice(1)] };
    assert.ok(!endorsementBytes(sim).equals(endorsementBytes(tampered)));
    assert.throws(() => {
      assertSameBytes(sim, tampered, 'tampered');
    }, assert.AssertionError);
  });

  it('the skewed peer really has another clock and other randomness', async () => {
    const real = [Date.now(), new Date().getTime(), Math.random()] as const;
    const realUuid = randomUUID();
    const [skewed, skewedUuid] = await onAnotherPeer(() =>
      // A named import, called the way the compiled contract calls node:crypto.
      Promise.resolve([[Date.now(), new Date().getTime(), Math.random()], randomUUID()] as const),
    );
    assert.ok(skewed[0] - real[0] >= CLOCK_SKEW_MS - 1000);
    assert.ok(skewed[1] - real[1] >= CLOCK_SKEW_MS - 1000);
    assert.notEqual(skewed[2], real[2]);
    assert.match(
      skewedUuid,
      /^00000000-0000-4000-8000-/,
      'node:crypto randomness is replaced where the contract sees it',
    );
    assert.doesNotMatch(randomUUID(), /^00000000-/, 'and restored');
    assert.notEqual(realUuid, skewedUuid);
    assert.ok(Date.now() - real[0] < CLOCK_SKEW_MS / 2, 'the clock is restored');
  });
});
