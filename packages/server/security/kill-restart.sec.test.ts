/**
 * kill -9 of the real server process at random (seeded) moments during imports, consent changes and reads, then a
 * restart: `verify` passes, every acknowledged write is present and readable, and nothing half-written is visible
 * (every ciphertext in a vault is a readable record; consents are in an acknowledged state).
 * Rounds: MEDLEDGER_KILL_ROUNDS (default 50). Seed: MEDLEDGER_KILL_SEED (default 20261126).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ChildServer } from './testing/child-server.js';
import { grant, observation, seededRandom } from './testing/fixtures.js';

const ROUNDS = Number(process.env.MEDLEDGER_KILL_ROUNDS ?? '50');
const SEED = Number(process.env.MEDLEDGER_KILL_SEED ?? '20261126');

interface Ledgerish {
  records: Map<string, { type: string; round: number }>;
  patients: Map<string, number>;
  /** consent id → acknowledged status, and whether a change to it was in flight at the kill. */
  consents: Map<string, { status: string; uncertain: boolean; round: number }>;
}

function vaultRecordIds(dataDir: string, msp: string): string[] {
  const db = new Database(join(dataDir, 'vault', msp, 'vault.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare('SELECT DISTINCT record_id FROM vault_records WHERE erased_at IS NULL').all() as Array<{
        record_id: string;
      }>
    ).map((r) => r.record_id);
  } finally {
    db.close();
  }
}

/** Demographics records (Patient resources live in the home organisation's vault too): vault id → patient id. */
function demographics(dataDir: string): Map<string, string> {
  const db = new Database(join(dataDir, 'server.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT patient_id, vault_record_id FROM patients').all() as Array<{
      patient_id: string;
      vault_record_id: string;
    }>;
    return new Map(rows.map((r) => [r.vault_record_id, r.patient_id]));
  } finally {
    db.close();
  }
}

describe(`kill -9 of the server during imports, consent changes and reads (${ROUNDS} rounds, seed ${SEED})`, () => {
  let dataDir: string;
  let server: ChildServer | undefined;
  const acked: Ledgerish = { records: new Map(), patients: new Map(), consents: new Map() };
  const random = seededRandom(SEED);
  let alice = '';
  let bob = '';
  let kills = 0;
  let writesAcked = 0;
  let readsDone = 0;
  let interrupted = 0;
  const serverErrors: string[] = [];
  /** Vault records already found readable (each is checked once, in the round after it appeared). */
  const checkedVault = new Set<string>();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'medledger-kill-'));
    server = await ChildServer.start(dataDir);
    const whoami = await server.as('alice', 'GET', '/api/whoami');
    alice = String(whoami.body.patient).replace('Patient/', '');
    bob = String((await server.as('bob', 'GET', '/api/whoami')).body.patient).replace('Patient/', '');
  });
  after(async () => {
    await server?.kill();
    process.stdout.write(
      `# kill -9: ${kills} kills, ${writesAcked} acknowledged writes, ${interrupted} writes in flight at a kill, ${readsDone} reads\n`,
    );
    if (process.env.MEDLEDGER_KEEP_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
    else process.stdout.write(`# kept ${dataDir}\n`);
  });

  /** Mixed load until the kill; returns when every loop has noticed. */
  async function load(s: ChildServer, round: number, state: { killed: boolean }): Promise<void> {
    const until = (): boolean => !state.killed;
    const guard = async (what: string, run: () => Promise<void>): Promise<void> => {
      while (until()) {
        try {
          await run();
        } catch (error: unknown) {
          // The kill cuts connections: a request without an answer is not acknowledged.
          if (until()) serverErrors.push(`${what}: ${String(error)}`);
          return;
        }
      }
    };
    let n = 0;
    const importer = guard('import', async () => {
      n += 1;
      const url = `urn:uuid:${crypto.randomUUID()}`;
      interrupted += 1;
      const response = await s.as('dr.grey', 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: url,
            resource: { resourceType: 'Patient', name: [{ family: `Killtest${round}x${n}`, given: ['K'] }] },
            request: { method: 'POST', url: 'Patient' },
          },
          ...[1, 2, 3, 4].map((i) => ({
            resource: { ...observation(alice, 60 + i), subject: { reference: url } },
            request: { method: 'POST', url: 'Observation' },
          })),
        ],
      });
      if (response.status >= 500) serverErrors.push(`import ${response.status} ${response.text.slice(0, 200)}`);
      if (response.status !== 200) return;
      interrupted -= 1;
      for (const entry of (response.body.entry ?? []) as Array<{ resource: { resourceType: string; id: string } }>) {
        if (entry.resource.resourceType === 'Patient') acked.patients.set(entry.resource.id, round);
        else acked.records.set(entry.resource.id, { type: entry.resource.resourceType, round });
        writesAcked += 1;
      }
    });
    const creator = guard('create', async () => {
      interrupted += 1;
      // Creates go to the imported patients (alice's chart stays small, so reads cost the same in every round).
      const targets = [...acked.patients.keys()];
      const patient = targets[Math.floor(random() * targets.length)] ?? alice;
      const response = await s.as('dr.grey', 'POST', '/fhir/Observation', observation(patient, 40 + (round % 50)));
      if (response.status >= 500) serverErrors.push(`create ${response.status} ${response.text.slice(0, 200)}`);
      if (response.status !== 201) return;
      interrupted -= 1;
      acked.records.set(String(response.body.id), { type: 'Observation', round });
      writesAcked += 1;
    });
    const consents = guard('consent', async () => {
      const open = [...acked.consents].find(([, c]) => c.status === 'active' && !c.uncertain);
      if (open !== undefined && random() < 0.5) {
        const [id, state] = open;
        state.uncertain = true;
        const response = await s.as('alice', 'DELETE', `/fhir/Consent/${id}`);
        if (response.status >= 500) serverErrors.push(`revoke ${response.status} ${response.text.slice(0, 200)}`);
        if (response.status !== 200) return;
        acked.consents.set(id, { status: 'inactive', uncertain: false, round });
        writesAcked += 1;
        return;
      }
      const response = await s.as('alice', 'POST', '/fhir/Consent', grant(alice));
      if (response.status >= 500) serverErrors.push(`consent ${response.status} ${response.text.slice(0, 200)}`);
      if (response.status !== 201) return;
      acked.consents.set(String(response.body.id), { status: 'active', uncertain: false, round });
      writesAcked += 1;
    });
    const reader = guard('read', async () => {
      const who = random() < 0.5 ? 'dr.house' : 'dr.grey';
      const response = await s.as(who, 'GET', `/fhir/Observation?patient=${alice}&_count=5`);
      if (response.status !== 200) serverErrors.push(`read ${response.status} ${response.text.slice(0, 200)}`);
      readsDone += 1;
      const bobs = await s.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}`);
      if (bobs.status !== 200) serverErrors.push(`read bob ${bobs.status}`);
      readsDone += 1;
    });
    await Promise.all([importer, creator, consents, reader]);
  }

  /** After a restart: verify, every acknowledged write readable, nothing half-written visible. */
  async function check(s: ChildServer, round: number): Promise<void> {
    const verify = await s.as('admin.hospa', 'POST', '/api/network/verify');
    assert.equal(verify.status, 200, verify.text.slice(0, 500));
    assert.equal(verify.body.ok, true, `round ${round}: verify failed: ${verify.text.slice(0, 1000)}`);
    // Every acknowledged record of the last round, and a sample of older ones (all of them at the end).
    const records = [...acked.records].filter(([, r]) => r.round >= round - 1 || round === ROUNDS || random() < 0.05);
    for (const [id, { type }] of records) {
      const read = await s.as('dr.grey', 'GET', `/fhir/${type}/${id}`);
      assert.equal(
        read.status,
        200,
        `round ${round}: acknowledged ${type}/${id} is not readable: ${read.text.slice(0, 300)}`,
      );
    }
    for (const [id, r] of acked.patients) {
      if (r < round - 1 && round !== ROUNDS && random() > 0.05) continue;
      const read = await s.as('dr.grey', 'GET', `/fhir/Patient/${id}`);
      assert.equal(read.status, 200, `round ${round}: acknowledged Patient/${id} is gone`);
    }
    for (const [id, state] of acked.consents) {
      // Those changed in this round or with a change in flight; all of them in the last round.
      if (state.round < round && !state.uncertain && round !== ROUNDS) continue;
      const read = await s.as('alice', 'GET', `/fhir/Consent/${id}`);
      assert.equal(read.status, 200, `round ${round}: acknowledged Consent/${id} is gone`);
      if (state.uncertain) state.status = String(read.body.status);
      else assert.equal(read.body.status, state.status, `round ${round}: Consent/${id} lost an acknowledged change`);
      state.uncertain = false;
    }
    // Every ciphertext left in a vault belongs to a readable record or patient: no orphan of an interrupted write.
    const patients = demographics(dataDir);
    for (const [msp, reader] of [
      ['HospitalAMSP', 'dr.grey'],
      ['HospitalBMSP', 'dr.house'],
    ] as const) {
      for (const id of vaultRecordIds(dataDir, msp)) {
        if (checkedVault.has(id)) continue;
        checkedVault.add(id);
        const patient = patients.get(id);
        if (patient !== undefined) {
          const read = await s.as(reader, 'GET', `/fhir/Patient/${patient}`);
          assert.equal(read.status, 200, `round ${round}: demographics ${id} of ${patient} are not readable`);
          continue;
        }
        const asObservation = await s.as(reader, 'GET', `/fhir/Observation/${id}`);
        const readable =
          asObservation.status === 200 || (await s.as(reader, 'GET', `/fhir/Condition/${id}`)).status === 200;
        assert.ok(readable, `round ${round}: ${msp} vault holds ${id}, which no one can read (half-written)`);
      }
    }
  }

  it('every round: kill at a random moment, restart, verify, acknowledged writes present, nothing half-written', async () => {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const s = server ?? (await ChildServer.start(dataDir));
      server = s;
      const killAfter = 150 + Math.floor(random() * 1500);
      const state = { killed: false };
      const loading = load(s, round, state);
      await new Promise((resolve) => setTimeout(resolve, killAfter));
      state.killed = true;
      await s.kill();
      kills += 1;
      await loading.catch(() => undefined);
      server = await ChildServer.start(dataDir);
      await check(server, round);
      assert.deepEqual(serverErrors, [], `round ${round}`);
    }
    assert.ok(writesAcked > ROUNDS, 'the load wrote between kills');
  });
});
