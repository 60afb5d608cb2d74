import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { isDomainError } from '@medledger/core';
import { generateKek } from '../key-ring.js';
import type { VaultDatabase } from '../store/schema.js';
import { createVault } from '../vault.js';
import type {
  FhirResource,
  IntegrityCheck,
  IntegrityFailureEvent,
  PutRecordResult,
  Vault,
  VaultOptions,
} from '../vault-types.js';

/** One isolated database of a backend, plus what an attacker with access to it sees. */
export interface VaultStorageUnderTest {
  /** Selects this database: `{ dataDir }` (SQLite) or `{ databaseUrl }` (PostgreSQL). */
  readonly options: Pick<VaultOptions, 'dataDir' | 'databaseUrl'>;
  /** A separate connection to the same database, bypassing the vault (to tamper and to inspect rows). */
  readonly raw: Kysely<VaultDatabase>;
  /** Every byte a copy of the database holds: its files (SQLite) or all rows of all tables (PostgreSQL). */
  dump(): Promise<Buffer>;
}

export interface VaultBackendUnderTest {
  newStorage(): Promise<VaultStorageUnderTest>;
  close(): Promise<void>;
}

/** Seeded PHI: none of these fragments may ever appear in the database, in an error message or in an event. */
const PHI = ['Zebulon', 'Quintavalle', '1961-07-23', '17 Larkspur Lane', '+44 20 7946 0958', 'MRN-88231-QX'] as const;

function patient(extra: Record<string, unknown> = {}): FhirResource {
  return {
    resourceType: 'Patient',
    id: 'pt-5d1e',
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: 'MRN-88231-QX' }],
    name: [{ family: 'Quintavalle', given: ['Zebulon'] }],
    birthDate: '1961-07-23',
    address: [{ line: ['17 Larkspur Lane'], city: 'Springfield' }],
    telecom: [{ system: 'phone', value: '+44 20 7946 0958' }],
    ...extra,
  };
}

function observation(value: number): FhirResource {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: 'Patient/pt-5d1e', display: 'Zebulon Quintavalle' },
    valueQuantity: { value, unit: 'beats/minute' },
  };
}

const newRecordId = (): string => `r-${randomBytes(12).toString('hex')}`;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const flipByte = (bytes: Buffer, index = 0): Buffer => {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
};

async function expectDomainError(promise: Promise<unknown>, code: string, integrity?: IntegrityCheck): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(isDomainError(caught), `expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (integrity !== undefined) assert.equal(caught.details?.['integrity'], integrity, caught.message);
  for (const fragment of PHI) assert.ok(!caught.message.includes(fragment), 'an error message carries PHI');
  return caught;
}

function assertNoPhi(bytes: Buffer, where: string): void {
  for (const fragment of PHI) assert.equal(bytes.indexOf(fragment), -1, `${where} holds a plaintext fragment`);
}

async function ciphertextRow(raw: Kysely<VaultDatabase>, recordId: string, version: number) {
  return raw
    .selectFrom('vault_ciphertexts')
    .selectAll()
    .where('record_id', '=', recordId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
}

async function dataKeyRow(raw: Kysely<VaultDatabase>, recordId: string, version: number) {
  return raw
    .selectFrom('vault_data_keys')
    .selectAll()
    .where('record_id', '=', recordId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
}

async function countRows(
  raw: Kysely<VaultDatabase>,
  table: 'vault_records' | 'vault_ciphertexts' | 'vault_data_keys',
  recordId: string,
): Promise<number> {
  const row = await raw
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('record_id', '=', recordId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Rewrites a stored ciphertext the way an attacker with database access would, keeping the stored hash consistent. */
async function tamperCiphertext(
  raw: Kysely<VaultDatabase>,
  recordId: string,
  version: number,
  change: (row: { iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }) => {
    iv: Buffer;
    ciphertext: Buffer;
    auth_tag: Buffer;
  },
  updateStoredHash: boolean,
): Promise<void> {
  const row = await ciphertextRow(raw, recordId, version);
  const next = change(row);
  await raw
    .updateTable('vault_ciphertexts')
    .set({ iv: next.iv, ciphertext: next.ciphertext, auth_tag: next.auth_tag })
    .where('record_id', '=', recordId)
    .where('version', '=', version)
    .execute();
  if (updateStoredHash) {
    await raw
      .updateTable('vault_records')
      .set({ ciphertext_sha256: sha256(Buffer.concat([next.iv, next.ciphertext, next.auth_tag])) })
      .where('record_id', '=', recordId)
      .where('version', '=', version)
      .execute();
  }
}

/**
 * The guarantees every vault storage gives, run against a real database of each kind: round trip, write-once
 * versions, associated-data binding, tamper detection, anchored-hash checks, rollback, crypto-shredding, KEK
 * rotation and retirement.
 */
export function describeVaultBehaviour(name: string, createBackend: () => Promise<VaultBackendUnderTest>): void {
  describe(`vault behaviour: ${name}`, () => {
    let backend: VaultBackendUnderTest;
    let storage: VaultStorageUnderTest;
    let keyDir: string;
    let vault: Vault;
    const events: IntegrityFailureEvent[] = [];
    const tempDirs: string[] = [];

    const tempDir = async (): Promise<string> => {
      const dir = await mkdtemp(join(tmpdir(), 'medledger-vault-keys-'));
      tempDirs.push(dir);
      return dir;
    };

    const putPatient = async (
      custodian = 'HospitalAMSP',
      version = 1,
      recordId = newRecordId(),
    ): Promise<PutRecordResult> => vault.put({ recordId, version, custodian, resource: patient() });

    before(async () => {
      backend = await createBackend();
      storage = await backend.newStorage();
      keyDir = await tempDir();
      vault = await createVault({ ...storage.options, keyDir, onIntegrityFailure: (event) => events.push(event) });
    });

    after(async () => {
      await vault.close();
      await backend.close();
      for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
    });

    it('round-trips a resource and returns the hashes the ledger anchors', async () => {
      const stored = await putPatient();
      assert.match(stored.ciphertextSha256, /^[0-9a-f]{64}$/);
      assert.match(stored.plaintextHmac, /^[0-9a-f]{64}$/);
      const row = await ciphertextRow(storage.raw, stored.recordId, 1);
      assert.equal(sha256(Buffer.concat([row.iv, row.ciphertext, row.auth_tag])), stored.ciphertextSha256);
      assert.equal(row.iv.length, 12);
      assert.equal(row.auth_tag.length, 16);

      const read = await vault.get(stored.recordId, 1, stored);
      assert.deepEqual(read.resource, patient());
      assert.equal(read.ciphertextSha256, stored.ciphertextSha256);
      assert.equal(read.plaintextHmac, stored.plaintextHmac);
      assert.equal(read.kekId, stored.kekId);
      assert.equal(read.custodian, 'HospitalAMSP');
      const usage = await vault.kekUsage();
      assert.equal(usage.find((kek) => kek.current)?.kekId, stored.kekId);
    });

    it('keys the plaintext hash per custodian and seals every write under a fresh data key', async () => {
      const first = await putPatient('HospitalAMSP');
      const second = await putPatient('HospitalAMSP');
      const other = await putPatient('HospitalBMSP');
      assert.equal(first.plaintextHmac, second.plaintextHmac, 'same custodian, same canonical plaintext');
      assert.notEqual(first.plaintextHmac, other.plaintextHmac, 'another custodian has another HMAC key');
      assert.notEqual(first.ciphertextSha256, second.ciphertextSha256, 'fresh data key and IV per record');
      const firstKey = await dataKeyRow(storage.raw, first.recordId, 1);
      const secondKey = await dataKeyRow(storage.raw, second.recordId, 1);
      assert.notDeepEqual(firstKey.wrapped_key, secondKey.wrapped_key);
    });

    it('hashes the canonical JSON, so member order does not change the anchored hash', async () => {
      const reordered = Object.fromEntries(Object.entries(patient()).reverse()) as FhirResource;
      const a = await putPatient();
      const b = await vault.put({
        recordId: newRecordId(),
        version: 1,
        custodian: 'HospitalAMSP',
        resource: reordered,
      });
      assert.equal(a.plaintextHmac, b.plaintextHmac);
    });

    it('returns the highest version when no version is given', async () => {
      const recordId = newRecordId();
      await vault.put({ recordId, version: 1, custodian: 'HospitalAMSP', resource: observation(61) });
      const v2 = await vault.put({ recordId, version: 2, custodian: 'HospitalAMSP', resource: observation(72) });
      const latest = await vault.get(recordId);
      assert.equal(latest.version, 2);
      assert.deepEqual(latest.resource, observation(72));
      assert.equal(latest.ciphertextSha256, v2.ciphertextSha256);
      assert.deepEqual((await vault.get(recordId, 1)).resource, observation(61));
      assert.deepEqual(
        (await vault.versions(recordId)).map((row) => row.version),
        [1, 2],
      );
    });

    it('refuses to overwrite an existing record version and keeps the original', async () => {
      const stored = await putPatient();
      await expectDomainError(
        vault.put({ recordId: stored.recordId, version: 1, custodian: 'HospitalAMSP', resource: observation(1) }),
        'CONFLICT',
      );
      await expectDomainError(
        vault.put({ recordId: stored.recordId, version: 2, custodian: 'HospitalBMSP', resource: observation(1) }),
        'CONFLICT',
      );
      const read = await vault.get(stored.recordId, 1, stored);
      assert.deepEqual(read.resource, patient());
    });

    it('stores several versions in one transaction with putMany, all or nothing', async () => {
      const ids = ['r-00000000000000000000aa01', 'r-00000000000000000000aa02', 'r-00000000000000000000aa03'];
      const results = await vault.putMany(
        ids.map((recordId, i) => ({ recordId, version: 1, custodian: 'HospitalAMSP', resource: observation(i) })),
      );
      assert.deepEqual(
        results.map((r) => r.recordId),
        ids,
      );
      for (const [i, result] of results.entries()) {
        assert.deepEqual((await vault.get(result.recordId, 1, result)).resource, observation(i));
      }
      const fresh = 'r-00000000000000000000aa04';
      await expectDomainError(
        vault.putMany([
          { recordId: fresh, version: 1, custodian: 'HospitalAMSP', resource: observation(9) },
          { recordId: ids[0] ?? '', version: 1, custodian: 'HospitalAMSP', resource: observation(9) },
        ]),
        'CONFLICT',
      );
      assert.deepEqual(await vault.versions(fresh), [], 'nothing of a refused batch is stored');
      await expectDomainError(
        vault.putMany([
          { recordId: fresh, version: 1, custodian: 'HospitalAMSP', resource: observation(1) },
          { recordId: fresh, version: 1, custodian: 'HospitalAMSP', resource: observation(2) },
        ]),
        'CONFLICT',
      );
    });

    it('refuses malformed input without echoing it', async () => {
      const resource = patient();
      await expectDomainError(
        vault.put({ recordId: 'Zebulon Quintavalle', version: 1, custodian: 'HospitalAMSP', resource }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.put({ recordId: newRecordId(), version: 0, custodian: 'HospitalAMSP', resource }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.put({ recordId: newRecordId(), version: 1.5, custodian: 'HospitalAMSP', resource }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.put({ recordId: newRecordId(), version: 1, custodian: 'MRN-88231-QX ', resource }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.put({
          recordId: newRecordId(),
          version: 1,
          custodian: 'HospitalAMSP',
          resource: ['Zebulon'] as unknown as FhirResource,
        }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.put({ recordId: newRecordId(), version: 1, custodian: 'HospitalAMSP', resource: patient({ x: NaN }) }),
        'INVALID_ARGUMENT',
      );
      await expectDomainError(
        vault.get(newRecordId(), 1, { ciphertextSha256: 'Zebulon', plaintextHmac: 'x' }),
        'INVALID_ARGUMENT',
      );
    });

    it('answers NOT_FOUND for a record or version it does not hold', async () => {
      await expectDomainError(vault.get(newRecordId()), 'NOT_FOUND');
      const stored = await putPatient();
      await expectDomainError(vault.get(stored.recordId, 2), 'NOT_FOUND');
    });

    it('binds a ciphertext to its record: a copy under another record id or version is refused', async () => {
      const source = await putPatient();
      const target = await vault.put({
        recordId: newRecordId(),
        version: 1,
        custodian: 'HospitalAMSP',
        resource: observation(70),
      });
      const sourceSealed = await ciphertextRow(storage.raw, source.recordId, 1);
      const sourceKey = await dataKeyRow(storage.raw, source.recordId, 1);

      // Everything copied (ciphertext, wrapped key, hashes): the wrapped key's associated data names the source.
      await storage.raw
        .updateTable('vault_ciphertexts')
        .set({ iv: sourceSealed.iv, ciphertext: sourceSealed.ciphertext, auth_tag: sourceSealed.auth_tag })
        .where('record_id', '=', target.recordId)
        .execute();
      await storage.raw
        .updateTable('vault_data_keys')
        .set({ kek_id: sourceKey.kek_id, wrapped_key: sourceKey.wrapped_key })
        .where('record_id', '=', target.recordId)
        .execute();
      await storage.raw
        .updateTable('vault_records')
        .set({ ciphertext_sha256: source.ciphertextSha256, plaintext_hmac: source.plaintextHmac })
        .where('record_id', '=', target.recordId)
        .execute();
      await expectDomainError(vault.get(target.recordId, 1), 'INTERNAL', 'wrapped-key');
      // Even with the source's anchored hashes as the expectation, the swapped content is never served.
      await expectDomainError(vault.get(target.recordId, 1, source), 'INTERNAL', 'wrapped-key');

      // Ciphertext copied but the target's own data key kept: the record's associated data does not match.
      const versioned = await vault.put({
        recordId: source.recordId,
        version: 2,
        custodian: 'HospitalAMSP',
        resource: observation(99),
      });
      await tamperCiphertext(storage.raw, source.recordId, 2, () => sourceSealed, true);
      await expectDomainError(vault.get(source.recordId, 2), 'INTERNAL', 'authentication-tag');
      await expectDomainError(vault.get(source.recordId, 2, versioned), 'INTERNAL', 'expected-ciphertext-sha256');
      assert.deepEqual((await vault.get(source.recordId, 1, source)).resource, patient());
    });

    it('refuses a tampered ciphertext, authentication tag, IV or wrapped data key', async () => {
      const cases: [string, (recordId: string) => Promise<void>, IntegrityCheck][] = [
        [
          'ciphertext, stored hash left alone',
          (id) => tamperCiphertext(storage.raw, id, 1, (r) => ({ ...r, ciphertext: flipByte(r.ciphertext) }), false),
          'ciphertext-sha256',
        ],
        [
          'ciphertext, stored hash recomputed',
          (id) => tamperCiphertext(storage.raw, id, 1, (r) => ({ ...r, ciphertext: flipByte(r.ciphertext, 7) }), true),
          'authentication-tag',
        ],
        [
          'tag',
          (id) => tamperCiphertext(storage.raw, id, 1, (r) => ({ ...r, auth_tag: flipByte(r.auth_tag, 15) }), true),
          'authentication-tag',
        ],
        [
          'iv',
          (id) => tamperCiphertext(storage.raw, id, 1, (r) => ({ ...r, iv: flipByte(r.iv) }), true),
          'authentication-tag',
        ],
        [
          'wrapped key',
          async (id) => {
            const row = await dataKeyRow(storage.raw, id, 1);
            await storage.raw
              .updateTable('vault_data_keys')
              .set({ wrapped_key: flipByte(row.wrapped_key, 20) })
              .where('record_id', '=', id)
              .execute();
          },
          'wrapped-key',
        ],
      ];
      for (const [label, tamper, check] of cases) {
        const stored = await putPatient();
        await tamper(stored.recordId);
        await expectDomainError(vault.get(stored.recordId, 1), 'INTERNAL', check);
        const verdict = await vault.verifyRecord(stored.recordId, 1, stored);
        assert.equal(verdict.status, 'tampered', label);
        assert.equal(verdict.ok, false, label);
      }
    });

    it('refuses a read whose hashes differ from those anchored on the ledger, and reports it', async () => {
      const stored = await putPatient();
      const other = await putPatient('HospitalAMSP', 1);
      const before = events.length;
      await expectDomainError(
        vault.get(stored.recordId, 1, { ...stored, ciphertextSha256: other.ciphertextSha256 }),
        'INTERNAL',
        'expected-ciphertext-sha256',
      );
      await expectDomainError(
        vault.get(stored.recordId, 1, { ...stored, plaintextHmac: sha256(Buffer.from('x')) }),
        'INTERNAL',
        'expected-plaintext-hmac',
      );
      const reported = events.slice(before);
      assert.deepEqual(
        reported.map((event) => [event.operation, event.recordId, event.check]),
        [
          ['get', stored.recordId, 'expected-ciphertext-sha256'],
          ['get', stored.recordId, 'expected-plaintext-hmac'],
        ],
      );
      assertNoPhi(Buffer.from(JSON.stringify(events)), 'an integrity event');
      assert.deepEqual((await vault.get(stored.recordId, 1, stored)).resource, patient());
    });

    it('verifies a record against the anchored hashes without returning it', async () => {
      const stored = await putPatient();
      assert.deepEqual(await vault.verifyRecord(stored.recordId, 1, stored), {
        recordId: stored.recordId,
        version: 1,
        status: 'intact',
        ok: true,
      });
      const wrongHmac = { ...stored, plaintextHmac: sha256(Buffer.from('y')) };
      const verdict = await vault.verifyRecord(stored.recordId, 1, wrongHmac);
      assert.equal(verdict.status, 'tampered');
      assert.equal(verdict.failedCheck, 'expected-plaintext-hmac');
      assert.equal((await vault.verifyRecord(newRecordId(), 1, stored)).status, 'missing');
    });

    it('removes a version that never reached the ledger, leaving nothing behind', async () => {
      const stored = await putPatient();
      assert.equal(await vault.remove(stored.recordId, 1), true);
      for (const table of ['vault_records', 'vault_ciphertexts', 'vault_data_keys'] as const) {
        assert.equal(await countRows(storage.raw, table, stored.recordId), 0, table);
      }
      await expectDomainError(vault.get(stored.recordId, 1), 'NOT_FOUND');
      assert.equal(await vault.remove(stored.recordId, 1), false);
      // The write can be retried under the same id.
      const again = await putPatient('HospitalAMSP', 1, stored.recordId);
      assert.deepEqual((await vault.get(again.recordId, 1, again)).resource, patient());
    });

    it('never stores a plaintext fragment', async () => {
      await putPatient();
      assertNoPhi(await storage.dump(), 'the database');
    });

    it('shreds every version: data keys and ciphertexts are gone, a verifiable tombstone stays', async () => {
      const recordId = newRecordId();
      const v1 = await vault.put({ recordId, version: 1, custodian: 'HospitalAMSP', resource: patient() });
      const v2 = await vault.put({ recordId, version: 2, custodian: 'HospitalAMSP', resource: observation(64) });
      const secrets: Buffer[] = [];
      for (const version of [1, 2]) {
        const sealed = await ciphertextRow(storage.raw, recordId, version);
        secrets.push(sealed.ciphertext.subarray(0, 32), (await dataKeyRow(storage.raw, recordId, version)).wrapped_key);
      }
      const dumpBefore = await storage.dump();
      for (const secret of secrets)
        assert.notEqual(dumpBefore.indexOf(secret), -1, 'sanity: the dump sees stored bytes');

      const receipt = await vault.shred(recordId);
      assert.equal(receipt.alreadyErased, false);
      assert.match(receipt.erasedAt, /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(
        receipt.versions.map((version) => [version.version, version.ciphertextSha256, version.plaintextHmac]),
        [
          [1, v1.ciphertextSha256, v1.plaintextHmac],
          [2, v2.ciphertextSha256, v2.plaintextHmac],
        ],
      );

      assert.equal(await countRows(storage.raw, 'vault_ciphertexts', recordId), 0);
      assert.equal(await countRows(storage.raw, 'vault_data_keys', recordId), 0);
      assert.equal(await countRows(storage.raw, 'vault_records', recordId), 2, 'tombstones stay');
      const dumpAfter = await storage.dump();
      for (const secret of secrets) assert.equal(dumpAfter.indexOf(secret), -1, 'shredded bytes remain readable');
      assertNoPhi(dumpAfter, 'the database after shredding');

      const erased = await expectDomainError(vault.get(recordId), 'NOT_FOUND');
      assert.match(erased.message, /erased/);
      assert.equal(isDomainError(erased) && erased.details?.['erased'], true);
      await expectDomainError(vault.get(recordId, 1, v1), 'NOT_FOUND');
      const verdict = await vault.verifyRecord(recordId, 2, v2);
      assert.equal(verdict.status, 'erased');
      assert.equal(verdict.ok, true);
      assert.equal(verdict.erasedAt, receipt.erasedAt);

      // Unrecoverable even with the KEK: a fresh vault over the same database and key directory has nothing to open.
      const reopened = await createVault({ ...storage.options, keyDir });
      try {
        await expectDomainError(reopened.get(recordId, 1), 'NOT_FOUND');
      } finally {
        await reopened.close();
      }

      await expectDomainError(
        vault.put({ recordId, version: 3, custodian: 'HospitalAMSP', resource: patient() }),
        'CONFLICT',
      );
      assert.equal(await vault.remove(recordId, 1), false, 'a tombstone is never removed');
      const again = await vault.shred(recordId);
      assert.equal(again.alreadyErased, true);
      assert.equal(again.erasedAt, receipt.erasedAt);
      await expectDomainError(vault.shred(newRecordId()), 'NOT_FOUND');
    });

    it('rotates the KEK by re-wrapping data keys without touching ciphertexts, then retires the old KEK', async () => {
      const own = await backend.newStorage();
      const ownKeyDir = await tempDir();
      let rotating = await createVault({ ...own.options, keyDir: ownKeyDir });
      try {
        const puts = [
          await rotating.put({ recordId: newRecordId(), version: 1, custodian: 'HospitalAMSP', resource: patient() }),
          await rotating.put({
            recordId: newRecordId(),
            version: 1,
            custodian: 'HospitalAMSP',
            resource: observation(1),
          }),
          await rotating.put({
            recordId: newRecordId(),
            version: 1,
            custodian: 'HospitalBMSP',
            resource: observation(2),
          }),
        ];
        const oldKekId = puts[0]!.kekId;
        const ciphertextsBefore = await own.raw
          .selectFrom('vault_ciphertexts')
          .selectAll()
          .orderBy('record_id')
          .execute();
        const keysBefore = await own.raw.selectFrom('vault_data_keys').selectAll().orderBy('record_id').execute();
        assert.deepEqual(await readdir(ownKeyDir), ['v1.kek.json']);

        const result = await rotating.rotateKek();
        assert.notEqual(result.kekId, oldKekId);
        assert.deepEqual(result.previousKekIds, [oldKekId]);
        assert.equal(result.rewrappedDataKeys, 3);
        assert.equal(result.rewrappedHmacKeys, 2);
        assert.deepEqual(result.failed, []);

        const ciphertextsAfter = await own.raw
          .selectFrom('vault_ciphertexts')
          .selectAll()
          .orderBy('record_id')
          .execute();
        assert.deepEqual(ciphertextsAfter, ciphertextsBefore, 'ciphertexts are untouched');
        const keysAfter = await own.raw.selectFrom('vault_data_keys').selectAll().orderBy('record_id').execute();
        keysAfter.forEach((row, index) => {
          assert.equal(row.kek_id, result.kekId);
          assert.notDeepEqual(row.wrapped_key, keysBefore[index]!.wrapped_key);
        });
        for (const put of puts) {
          const read = await rotating.get(put.recordId, 1, put);
          assert.equal(read.kekId, result.kekId, 'the record names the KEK it is wrapped with');
        }

        const usage = await rotating.kekUsage();
        assert.deepEqual(
          usage.map((kek) => [kek.kekId, kek.current, kek.dataKeys, kek.hmacKeys]),
          [
            [oldKekId, false, 0, 0],
            [result.kekId, true, 3, 2],
          ],
        );
        assert.deepEqual((await readdir(ownKeyDir)).sort(), ['v1.kek.json', 'v2.kek.json'], 'old KEK retained');
        assert.deepEqual(await rotating.retireUnusedKeks(), [oldKekId]);
        assert.deepEqual(await readdir(ownKeyDir), ['v2.kek.json']);

        await rotating.close();
        rotating = await createVault({ ...own.options, keyDir: ownKeyDir });
        for (const put of puts)
          assert.equal((await rotating.get(put.recordId, 1, put)).plaintextHmac, put.plaintextHmac);
        const later = await rotating.put({
          recordId: newRecordId(),
          version: 1,
          custodian: 'HospitalAMSP',
          resource: patient(),
        });
        assert.equal(later.kekId, result.kekId);
        assert.equal(later.plaintextHmac, puts[0]!.plaintextHmac, 'the HMAC key survives rotation');
      } finally {
        await rotating.close();
      }
    });

    it('keeps an old KEK while a wrapped key still uses it, and refuses to start without a needed KEK', async () => {
      const own = await backend.newStorage();
      const [kekA, kekB, kekC] = [generateKek(), generateKek(), generateKek()];
      let keyed = await createVault({ ...own.options, kek: kekA });
      const first = await keyed.put({
        recordId: newRecordId(),
        version: 1,
        custodian: 'HospitalAMSP',
        resource: patient(),
      });
      await keyed.close();

      keyed = await createVault({ ...own.options, kek: [kekB, kekA] });
      try {
        const second = await keyed.put({
          recordId: newRecordId(),
          version: 1,
          custodian: 'HospitalAMSP',
          resource: observation(3),
        });
        assert.notEqual(second.kekId, first.kekId);
        assert.deepEqual((await keyed.get(first.recordId, 1, first)).resource, patient());
        assert.deepEqual(await keyed.retireUnusedKeks(), [], 'KEK A still wraps a data key and the HMAC key');
        await expectDomainError(keyed.rotateKek(), 'INVALID_ARGUMENT');

        // A tampered wrapped key cannot be re-wrapped: it stays on its KEK, which therefore is not retired.
        const victim = await keyed.put({
          recordId: newRecordId(),
          version: 1,
          custodian: 'HospitalAMSP',
          resource: patient(),
        });
        const victimKey = await dataKeyRow(own.raw, victim.recordId, 1);
        await own.raw
          .updateTable('vault_data_keys')
          .set({ wrapped_key: flipByte(victimKey.wrapped_key, 30) })
          .where('record_id', '=', victim.recordId)
          .execute();
        const rotation = await keyed.rotateKek({ newKek: kekC });
        assert.deepEqual(rotation.failed, [{ recordId: victim.recordId, version: 1 }]);
        assert.equal(rotation.rewrappedDataKeys, 2);
        assert.deepEqual(await keyed.retireUnusedKeks(), [first.kekId], 'KEK A is free; B still wraps the victim');
        await keyed.shred(victim.recordId);
        assert.deepEqual(await keyed.retireUnusedKeks(), [second.kekId]);
      } finally {
        await keyed.close();
      }

      const refused = await expectDomainError(createVault({ ...own.options, kek: kekA }), 'INTERNAL');
      assert.match(refused.message, /not available/);
      assert.ok(![kekA, kekB, kekC].some((kek) => refused.message.includes(kek)), 'a key in an error message');
      keyed = await createVault({ ...own.options, kek: kekC });
      try {
        assert.deepEqual((await keyed.get(first.recordId, 1, first)).resource, patient());
      } finally {
        await keyed.close();
      }
    });

    it('lists record metadata in pages', async () => {
      const own = await backend.newStorage();
      const listing = await createVault({ ...own.options, kek: generateKek() });
      try {
        const ids = [newRecordId(), newRecordId(), newRecordId()].sort();
        for (const recordId of ids) {
          await listing.put({ recordId, version: 1, custodian: 'HospitalAMSP', resource: observation(5) });
        }
        await listing.put({ recordId: ids[0]!, version: 2, custodian: 'HospitalAMSP', resource: observation(6) });
        const page1 = await listing.list({ limit: 2 });
        const last = page1.at(-1)!;
        const page2 = await listing.list({ after: { recordId: last.recordId, version: last.version }, limit: 10 });
        assert.deepEqual(
          [...page1, ...page2].map((row) => [row.recordId, row.version]),
          [
            [ids[0], 1],
            [ids[0], 2],
            [ids[1], 1],
            [ids[2], 1],
          ],
        );
        await expectDomainError(listing.list({ limit: 0 }), 'INVALID_ARGUMENT');
      } finally {
        await listing.close();
      }
    });

    it('records the applied schema migration in its own migration table', async () => {
      const columns = await sql<{ n: number | string }>`select count(*) as n from vault_migration`.execute(storage.raw);
      assert.equal(Number(columns.rows[0]?.n), 1);
    });
  });
}
