import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Client, Pool } from 'pg';
import { VAULT_TABLES, type VaultDatabase } from '../store/schema.js';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';
import type { VaultBackendUnderTest, VaultStorageUnderTest } from './vault-behaviour.js';

async function readIfExists(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** SQLite: a temp data dir per storage; the dump is the raw database files (main file, WAL, shared memory). */
export async function createSqliteBackend(): Promise<VaultBackendUnderTest> {
  const root = await mkdtemp(join(tmpdir(), 'medledger-vault-sqlite-'));
  const handles: Kysely<VaultDatabase>[] = [];
  let counter = 0;
  return {
    newStorage: (): Promise<VaultStorageUnderTest> => {
      counter += 1;
      const dataDir = join(root, `store-${counter}`);
      const file = join(dataDir, 'vault.sqlite');
      // The vault creates the file; the raw connection opens lazily on first use.
      const raw = new Kysely<VaultDatabase>({
        dialect: new SqliteDialect({ database: () => Promise.resolve(new Database(file)) }),
      });
      handles.push(raw);
      return Promise.resolve({
        options: { dataDir },
        raw,
        dump: async () =>
          Buffer.concat([
            await readIfExists(file),
            await readIfExists(`${file}-wal`),
            await readIfExists(`${file}-shm`),
          ]),
      });
    },
    close: async () => {
      for (const handle of handles) await handle.destroy();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL: one real server for the backend, a fresh database per storage; the dump is every row of every table. */
export async function createPostgresBackend(): Promise<VaultBackendUnderTest> {
  const server: PostgresServer = await startPostgresServer({ database: 'medledger_vault_test' });
  const handles: Kysely<VaultDatabase>[] = [];
  let counter = 0;
  const createDatabase = async (name: string): Promise<void> => {
    const admin = new Client({ connectionString: server.databaseUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
  };
  return {
    newStorage: async (): Promise<VaultStorageUnderTest> => {
      counter += 1;
      const name = `vault_${counter}`;
      await createDatabase(name);
      const databaseUrl = `postgres://postgres@127.0.0.1:${server.port}/${name}`;
      const pool = new Pool({ connectionString: databaseUrl, max: 2 });
      // The server stops at the end of the suite: an idle connection it terminates must not become an uncaught error.
      pool.on('error', () => undefined);
      const raw = new Kysely<VaultDatabase>({ dialect: new PostgresDialect({ pool }) });
      handles.push(raw);
      return {
        options: { databaseUrl },
        raw,
        dump: async () => {
          const parts: Buffer[] = [];
          for (const table of VAULT_TABLES) {
            const rows = await raw.selectFrom(table).selectAll().execute();
            for (const row of rows) {
              for (const value of Object.values(row) as unknown[]) {
                parts.push(Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
              }
            }
          }
          return Buffer.concat(parts);
        },
      };
    },
    close: async () => {
      for (const handle of handles) await handle.destroy();
      await server.stop();
    },
  };
}
