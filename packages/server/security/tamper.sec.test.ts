/**
 * Tamper injection (issue 9): 100 seeded random single-byte changes across the vaults (ciphertexts, IVs, tags,
 * wrapped data keys, anchored hashes), the blocks, the world state and the key history; after each, `verify`
 * (IntegrityService, as POST /api/network/verify) must fail and name where: the record and its custodian, the block,
 * or the state key. Each change is then undone and verify must pass again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { grant, observation, seededRandom, TestServer } from './testing/fixtures.js';

const CHANGES = 100;

interface Target {
  readonly file: string;
  readonly table: string;
  readonly column: string;
  /** The row's identity for the UPDATE (rowid works for every table, WITHOUT ROWID ones use the key). */
  readonly where: string;
  readonly key: unknown[];
  /** What the report must name. */
  readonly expect: { readonly recordId?: string; readonly block?: number; readonly stateKey?: string };
}

describe(`tamper injection: ${CHANGES} random single-byte changes, each detected and located by verify`, () => {
  let server: TestServer;
  const found: Record<string, number> = {};

  before(async () => {
    server = await TestServer.start();
    const alice = server.patientId('alice');
    for (let i = 0; i < 6; i += 1) {
      const created = await server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, 60 + i));
      assert.equal(created.status, 201);
    }
    assert.equal((await server.as('alice', 'POST', '/fhir/Consent', grant(alice))).status, 201);
    assert.equal((await server.as('dr.house', 'GET', `/fhir/Observation?patient=${alice}`)).status, 200);
    const erased = await server.as(
      'alice',
      'DELETE',
      `/fhir/Observation/${String((await server.as('dr.grey', 'POST', '/fhir/Observation', observation(alice, 99))).body.id)}`,
    );
    assert.equal(erased.status, 200, erased.text);
    const clean = await server.medledger.integrity.verify();
    assert.equal(clean.ok, true, JSON.stringify(clean).slice(0, 500));
  });
  after(async () => {
    process.stdout.write(`# tamper injection: ${JSON.stringify(found)}\n`);
    await server.stop();
  });

  function targets(): Target[] {
    const out: Target[] = [];
    // Clinical records only: demographics (Patient) are not anchored on the ledger, so verify cannot cover them
    // (docs/threat-model.md, known residual risks).
    const store = new Database(join(server.dataDir, 'server.sqlite'), { readonly: true });
    const anchored = new Set(
      (store.prepare('SELECT record_id FROM records').all() as Array<{ record_id: string }>).map((r) => r.record_id),
    );
    store.close();
    const vaultFile = join(server.dataDir, 'vault', 'HospitalAMSP', 'vault.sqlite');
    const vault = new Database(vaultFile, { readonly: true });
    for (const [table, columns] of [
      ['vault_ciphertexts', ['ciphertext', 'iv', 'auth_tag']],
      ['vault_data_keys', ['wrapped_key']],
      ['vault_records', ['ciphertext_sha256', 'plaintext_hmac']],
    ] as const) {
      const rows = vault.prepare(`SELECT record_id, version FROM ${table}`).all() as Array<{
        record_id: string;
        version: number;
      }>;
      for (const row of rows.filter((r) => anchored.has(r.record_id))) {
        for (const column of columns) {
          out.push({
            file: vaultFile,
            table,
            column,
            where: 'record_id = ? AND version = ?',
            key: [row.record_id, row.version],
            expect: { recordId: row.record_id },
          });
        }
      }
    }
    vault.close();
    const ledgerFile = join(server.dataDir, 'ledger', 'ledger.sqlite');
    const ledger = new Database(ledgerFile, { readonly: true });
    for (const { number } of ledger.prepare('SELECT number FROM blocks').all() as Array<{ number: number }>) {
      out.push({
        file: ledgerFile,
        table: 'blocks',
        column: 'data',
        where: 'number = ?',
        key: [number],
        expect: { block: number },
      });
    }
    for (const { key } of ledger.prepare('SELECT key FROM state').all() as Array<{ key: Buffer }>) {
      out.push({
        file: ledgerFile,
        table: 'state',
        column: 'value',
        where: 'key = ?',
        key: [key],
        expect: { stateKey: key.toString('utf8') },
      });
    }
    for (const row of ledger.prepare('SELECT key, block_num, tx_num FROM history').all() as Array<{
      key: Buffer;
      block_num: number;
      tx_num: number;
    }>) {
      out.push({
        file: ledgerFile,
        table: 'history',
        column: 'value',
        where: 'key = ? AND block_num = ? AND tx_num = ?',
        key: [row.key, row.block_num, row.tx_num],
        expect: {},
      });
    }
    ledger.close();
    return out;
  }

  /** Flips one bit of one byte of the stored value; returns the original to restore. */
  function flip(target: Target, random: () => number): { original: unknown; offset: number } {
    const db = new Database(target.file);
    try {
      const row = db
        .prepare(`SELECT ${target.column} AS v FROM ${target.table} WHERE ${target.where}`)
        .get(...target.key) as { v: Buffer | string };
      const bytes = Buffer.isBuffer(row.v) ? Buffer.from(row.v) : Buffer.from(row.v, 'utf8');
      const offset = Math.floor(random() * bytes.length);
      let changed = bytes[offset] ?? 0;
      // Text columns stay the same kind of text (hex stays hex), so the change is subtle, not a parse error.
      if (typeof row.v === 'string') changed = changed === 0x30 ? 0x31 : 0x30;
      else changed ^= 1 << Math.floor(random() * 8);
      bytes[offset] = changed;
      const value = typeof row.v === 'string' ? bytes.toString('utf8') : bytes;
      db.prepare(`UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`).run(value, ...target.key);
      return { original: row.v, offset };
    } finally {
      db.close();
    }
  }

  function restore(target: Target, original: unknown): void {
    const db = new Database(target.file);
    try {
      db.prepare(`UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`).run(original, ...target.key);
    } finally {
      db.close();
    }
  }

  it(`verify detects and locates every one of ${CHANGES} single-byte changes; each undone change verifies clean`, async () => {
    const random = seededRandom(4242);
    const all = targets();
    const undetected: string[] = [];
    const unlocated: string[] = [];
    for (let i = 0; i < CHANGES; i += 1) {
      // Spread the changes across the kinds of artifact: vault, blocks, state, history in turn.
      const kind = ['vault', 'blocks', 'state', 'history'][i % 4] ?? 'vault';
      const pool = all.filter((t) => (kind === 'vault' ? t.table.startsWith('vault_') : t.table === kind));
      const target = pool[Math.floor(random() * pool.length)];
      assert.ok(target !== undefined, kind);
      const { original, offset } = flip(target, random);
      const label = `${target.table}.${target.column} [${target.key.map(String).join(',').slice(0, 60)}] byte ${offset}`;
      try {
        const report = await server.medledger.integrity.verify();
        const text = JSON.stringify(report);
        if (report.ok) undetected.push(label);
        else {
          found[target.table] = (found[target.table] ?? 0) + 1;
          const { recordId, block, stateKey } = target.expect;
          const located =
            (recordId === undefined ||
              report.problems.some((p) => p.recordId === recordId && p.custodian === 'HospitalAMSP')) &&
            (block === undefined || report.ledger.firstBadBlock === block) &&
            (stateKey === undefined ||
              text.includes(JSON.stringify(stateKey).slice(1, -1)) ||
              report.ledger.firstBadBlock !== undefined) &&
            (target.table !== 'history' || /history/i.test(text));
          if (!located) unlocated.push(`${label}: ${text.slice(0, 400)}`);
        }
      } finally {
        restore(target, original);
      }
    }
    const clean = await server.medledger.integrity.verify();
    assert.equal(clean.ok, true, 'every change undone: clean again');
    assert.deepEqual(undetected, [], 'undetected changes');
    assert.deepEqual(unlocated, [], 'changes detected but not located');
  });
});
