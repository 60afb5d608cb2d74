import Database from 'better-sqlite3';
import { DomainError, ROLES } from '@medledger/core';
import type { Role } from '@medledger/core';

export type AccountKind = 'person' | 'system';

/** A login: a person (password) or a system client (private_key_jwt), bound to one enrolled ledger identity. */
export interface Account {
  readonly username: string;
  readonly displayName: string;
  readonly kind: AccountKind;
  readonly mspId: string;
  readonly role: Role;
  /** The CA enrolment uid (pseudonymous `pu-…` for patients). */
  readonly uid: string;
  /** The ledger's patient id, for patients. */
  readonly patientId?: string;
  readonly passwordHash?: string;
  readonly demo: boolean;
  readonly status: 'active' | 'revoked';
  readonly createdAt: string;
}

/** Where a patient's demographics (the FHIR Patient) live: the home organisation's vault, never the ledger. */
export interface PatientEntry {
  readonly patientId: string;
  /** The pseudonymous CA uid (`pu-…`) the patient enrolls with at the home organisation. */
  readonly uid: string;
  readonly homeOrg: string;
  readonly vaultRecordId: string;
  readonly version: number;
  readonly lastUpdated: string;
}

/** The server's routing index of ledger records: which logical FHIR resource a record version belongs to. */
export interface IndexedRecord {
  /** The FHIR logical id: the record id of the first version. */
  readonly fhirId: string;
  /** The ledger record id of this version. */
  readonly recordId: string;
  readonly resourceType: string;
  readonly patientId: string;
  readonly custodian: string;
  readonly version: number;
  readonly current: boolean;
  readonly erased: boolean;
  readonly lastUpdated: string;
}

/** A write between "ciphertext stored" and "ledger committed": what recovery must settle after a crash. */
export interface PendingWrite {
  readonly batchId: string;
  readonly recordId: string;
  readonly version: number;
  readonly custodian: string;
  readonly username: string;
  readonly createdAt: string;
}

export interface PendingBundlePatient {
  readonly bundleId: string;
  readonly patientId: string;
  readonly homeOrg: string;
  readonly vaultRecordId: string;
  /** The first record of the Bundle: when it is committed, so is the Bundle (one ledger transaction). */
  readonly commitRecordId?: string;
  readonly createdAt: string;
}

interface AccountRow {
  username: string;
  display_name: string;
  kind: AccountKind;
  msp_id: string;
  role: string;
  uid: string;
  patient_id: string | null;
  password_hash: string | null;
  demo: number;
  status: 'active' | 'revoked';
  created_at: string;
}

interface RecordRow {
  fhir_id: string;
  record_id: string;
  resource_type: string;
  patient_id: string;
  custodian: string;
  version: number;
  current: number;
  erased: number;
  last_updated: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, kind TEXT NOT NULL, msp_id TEXT NOT NULL, role TEXT NOT NULL,
  uid TEXT NOT NULL, patient_id TEXT, password_hash TEXT, demo INTEGER NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, UNIQUE (msp_id, uid));
CREATE TABLE IF NOT EXISTS patients (
  patient_id TEXT PRIMARY KEY, uid TEXT NOT NULL, home_org TEXT NOT NULL, vault_record_id TEXT NOT NULL, version INTEGER NOT NULL,
  last_updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS patients_by_org ON patients (home_org, patient_id);
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY, fhir_id TEXT NOT NULL, resource_type TEXT NOT NULL, patient_id TEXT NOT NULL,
  custodian TEXT NOT NULL, version INTEGER NOT NULL, current INTEGER NOT NULL, erased INTEGER NOT NULL DEFAULT 0,
  last_updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_fhir_id ON records (fhir_id, current);
CREATE TABLE IF NOT EXISTS pending_writes (
  record_id TEXT NOT NULL, version INTEGER NOT NULL, batch_id TEXT NOT NULL, custodian TEXT NOT NULL,
  username TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (record_id, version));
CREATE TABLE IF NOT EXISTS pending_erasures (
  record_id TEXT PRIMARY KEY, username TEXT NOT NULL, request_hash TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_bundle_patients (
  bundle_id TEXT NOT NULL, patient_id TEXT NOT NULL, home_org TEXT NOT NULL, vault_record_id TEXT NOT NULL,
  commit_record_id TEXT, created_at TEXT NOT NULL, PRIMARY KEY (bundle_id, patient_id));
CREATE TABLE IF NOT EXISTS sealed_texts (hash TEXT PRIMARY KEY, sealed BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_assertions (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
`;

function toAccount(row: AccountRow): Account {
  if (!(ROLES as readonly string[]).includes(row.role))
    throw new DomainError('INTERNAL', 'stored account has a bad role');
  return {
    username: row.username,
    displayName: row.display_name,
    kind: row.kind,
    mspId: row.msp_id,
    role: row.role as Role,
    uid: row.uid,
    ...(row.patient_id === null ? {} : { patientId: row.patient_id }),
    ...(row.password_hash === null ? {} : { passwordHash: row.password_hash }),
    demo: row.demo === 1,
    status: row.status,
    createdAt: row.created_at,
  };
}

function toRecord(row: RecordRow): IndexedRecord {
  return {
    fhirId: row.fhir_id,
    recordId: row.record_id,
    resourceType: row.resource_type,
    patientId: row.patient_id,
    custodian: row.custodian,
    version: row.version,
    current: row.current === 1,
    erased: row.erased === 1,
    lastUpdated: row.last_updated,
  };
}

/**
 * The server's own small database (SQLite, WAL, synchronous FULL): accounts, where demographics live, the record
 * routing index, and the write-ahead journal of pending writes and erasures that recovery settles on start.
 */
export class ServerStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // Accounts

  insertAccount(account: Account): void {
    this.db
      .prepare(
        `INSERT INTO accounts (username, display_name, kind, msp_id, role, uid, patient_id, password_hash, demo, status,
         created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        account.username,
        account.displayName,
        account.kind,
        account.mspId,
        account.role,
        account.uid,
        account.patientId ?? null,
        account.passwordHash ?? null,
        account.demo ? 1 : 0,
        account.status,
        account.createdAt,
      );
  }

  account(username: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  accountByUid(mspId: string, uid: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE msp_id = ? AND uid = ?').get(mspId, uid) as
      AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  accountByPatient(patientId: string): Account | undefined {
    const row = this.db.prepare('SELECT * FROM accounts WHERE patient_id = ?').get(patientId) as AccountRow | undefined;
    return row === undefined ? undefined : toAccount(row);
  }

  accounts(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY username').all() as AccountRow[]).map(toAccount);
  }

  setAccountStatus(username: string, status: Account['status']): void {
    this.db.prepare('UPDATE accounts SET status = ? WHERE username = ?').run(status, username);
  }

  setPasswordHash(username: string, hash: string): void {
    this.db.prepare('UPDATE accounts SET password_hash = ? WHERE username = ?').run(hash, username);
  }

  countAccounts(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
  }

  // Patients

  putPatient(entry: PatientEntry): void {
    this.db
      .prepare(
        `INSERT INTO patients (patient_id, uid, home_org, vault_record_id, version, last_updated) VALUES (?,?,?,?,?,?)
         ON CONFLICT (patient_id) DO UPDATE SET vault_record_id = excluded.vault_record_id,
         version = excluded.version, last_updated = excluded.last_updated`,
      )
      .run(entry.patientId, entry.uid, entry.homeOrg, entry.vaultRecordId, entry.version, entry.lastUpdated);
  }

  deletePatient(patientId: string): void {
    this.db.prepare('DELETE FROM patients WHERE patient_id = ?').run(patientId);
  }

  patient(patientId: string): PatientEntry | undefined {
    const row = this.db.prepare('SELECT * FROM patients WHERE patient_id = ?').get(patientId) as
      | {
          patient_id: string;
          uid: string;
          home_org: string;
          vault_record_id: string;
          version: number;
          last_updated: string;
        }
      | undefined;
    return row === undefined
      ? undefined
      : {
          patientId: row.patient_id,
          uid: row.uid,
          homeOrg: row.home_org,
          vaultRecordId: row.vault_record_id,
          version: row.version,
          lastUpdated: row.last_updated,
        };
  }

  patientsOf(homeOrg: string): string[] {
    return (
      this.db.prepare('SELECT patient_id FROM patients WHERE home_org = ? ORDER BY patient_id').all(homeOrg) as Array<{
        patient_id: string;
      }>
    ).map((row) => row.patient_id);
  }

  // Record index

  indexRecord(record: IndexedRecord, supersedes?: string): void {
    if (supersedes !== undefined) this.db.prepare('UPDATE records SET current = 0 WHERE record_id = ?').run(supersedes);
    this.db
      .prepare(
        `INSERT OR REPLACE INTO records (record_id, fhir_id, resource_type, patient_id, custodian, version, current,
         erased, last_updated) VALUES (?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        record.recordId,
        record.fhirId,
        record.resourceType,
        record.patientId,
        record.custodian,
        record.version,
        record.current ? 1 : 0,
        record.erased ? 1 : 0,
        record.lastUpdated,
      );
  }

  currentRecord(fhirId: string): IndexedRecord | undefined {
    const row = this.db.prepare('SELECT * FROM records WHERE fhir_id = ? AND current = 1').get(fhirId) as
      RecordRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  recordVersion(recordId: string): IndexedRecord | undefined {
    const row = this.db.prepare('SELECT * FROM records WHERE record_id = ?').get(recordId) as RecordRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  versionsOf(fhirId: string): IndexedRecord[] {
    return (this.db.prepare('SELECT * FROM records WHERE fhir_id = ? ORDER BY version').all(fhirId) as RecordRow[]).map(
      toRecord,
    );
  }

  /** Every indexed record version, in record-id order, `limit` after `after`. */
  recordVersions(after: string, limit: number): IndexedRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM records WHERE record_id > ? ORDER BY record_id LIMIT ?')
        .all(after, limit) as RecordRow[]
    ).map(toRecord);
  }

  markErased(fhirId: string): void {
    this.db.prepare('UPDATE records SET erased = 1 WHERE fhir_id = ?').run(fhirId);
  }

  // Journal

  addPendingWrites(writes: readonly PendingWrite[]): void {
    const insert = this.db.prepare(
      `INSERT INTO pending_writes (record_id, version, batch_id, custodian, username, created_at)
       VALUES (?,?,?,?,?,?)`,
    );
    this.transaction(() => {
      for (const w of writes) insert.run(w.recordId, w.version, w.batchId, w.custodian, w.username, w.createdAt);
    });
  }

  removePendingWrites(batchId: string): void {
    this.db.prepare('DELETE FROM pending_writes WHERE batch_id = ?').run(batchId);
  }

  pendingWrites(): PendingWrite[] {
    return (
      this.db.prepare('SELECT * FROM pending_writes ORDER BY created_at, record_id').all() as Array<{
        record_id: string;
        version: number;
        batch_id: string;
        custodian: string;
        username: string;
        created_at: string;
      }>
    ).map((row) => ({
      recordId: row.record_id,
      version: row.version,
      batchId: row.batch_id,
      custodian: row.custodian,
      username: row.username,
      createdAt: row.created_at,
    }));
  }

  /** A patient a transaction Bundle created: kept only if the Bundle's records commit (`commitRecordId`). */
  addPendingBundlePatient(entry: PendingBundlePatient): void {
    this.db
      .prepare(
        `INSERT INTO pending_bundle_patients (bundle_id, patient_id, home_org, vault_record_id, commit_record_id,
         created_at) VALUES (?,?,?,?,?,?)`,
      )
      .run(
        entry.bundleId,
        entry.patientId,
        entry.homeOrg,
        entry.vaultRecordId,
        entry.commitRecordId ?? null,
        entry.createdAt,
      );
  }

  removePendingBundle(bundleId: string): void {
    this.db.prepare('DELETE FROM pending_bundle_patients WHERE bundle_id = ?').run(bundleId);
  }

  pendingBundlePatients(): PendingBundlePatient[] {
    return (
      this.db.prepare('SELECT * FROM pending_bundle_patients ORDER BY created_at').all() as Array<{
        bundle_id: string;
        patient_id: string;
        home_org: string;
        vault_record_id: string;
        commit_record_id: string | null;
        created_at: string;
      }>
    ).map((row) => ({
      bundleId: row.bundle_id,
      patientId: row.patient_id,
      homeOrg: row.home_org,
      vaultRecordId: row.vault_record_id,
      ...(row.commit_record_id === null ? {} : { commitRecordId: row.commit_record_id }),
      createdAt: row.created_at,
    }));
  }

  addPendingErasure(recordId: string, username: string, requestHash: string | undefined, createdAt: string): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO pending_erasures (record_id, username, request_hash, created_at) VALUES (?,?,?,?)',
      )
      .run(recordId, username, requestHash ?? null, createdAt);
  }

  removePendingErasure(recordId: string): void {
    this.db.prepare('DELETE FROM pending_erasures WHERE record_id = ?').run(recordId);
  }

  pendingErasures(): Array<{ recordId: string; username: string; requestHash?: string }> {
    return (
      this.db.prepare('SELECT * FROM pending_erasures ORDER BY created_at').all() as Array<{
        record_id: string;
        username: string;
        request_hash: string | null;
      }>
    ).map((row) => ({
      recordId: row.record_id,
      username: row.username,
      ...(row.request_hash === null ? {} : { requestHash: row.request_hash }),
    }));
  }

  // Off-chain texts (break-glass reasons, review notes), sealed by the caller

  /** @returns whether the text was new (false: the same text was already kept). */
  putSealedText(hash: string, sealed: Buffer, createdAt: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO sealed_texts (hash, sealed, created_at) VALUES (?,?,?)')
        .run(hash, sealed, createdAt).changes > 0
    );
  }

  removeSealedText(hash: string): void {
    this.db.prepare('DELETE FROM sealed_texts WHERE hash = ?').run(hash);
  }

  sealedText(hash: string): Buffer | undefined {
    const row = this.db.prepare('SELECT sealed FROM sealed_texts WHERE hash = ?').get(hash) as
      { sealed: Buffer } | undefined;
    return row?.sealed;
  }

  // Client-assertion replay protection

  /** Records a client assertion id; false when it was already used and has not expired. */
  useAssertion(jti: string, expiresAtMs: number, nowMs: number): boolean {
    return this.transaction(() => {
      this.db.prepare('DELETE FROM used_assertions WHERE expires_at < ?').run(nowMs);
      const result = this.db
        .prepare('INSERT OR IGNORE INTO used_assertions (jti, expires_at) VALUES (?,?)')
        .run(jti, expiresAtMs);
      return result.changes === 1;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
