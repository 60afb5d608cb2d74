import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { generateKek } from './key-ring.js';
import { createPostgresBackend } from './testing/backends.js';
import { createVault } from './vault.js';
import type { Vault } from './vault-types.js';
import {
  POSTGRES_NOT_FOUND_MESSAGE,
  findPostgresBinaries,
  postgresSuitesSkipped,
  processEnded,
  startPostgresServer,
} from './testing/postgres-server.js';
import { describeVaultBehaviour } from './testing/vault-behaviour.js';

// A real PostgreSQL server, started by the suite. Missing binaries fail the suite with instructions; only an
// explicit MEDLEDGER_SKIP_PG=1 skips it.
if (postgresSuitesSkipped()) {
  describe('vault behaviour: PostgreSQL', { skip: 'MEDLEDGER_SKIP_PG=1' }, () => undefined);
} else {
  describeVaultBehaviour('PostgreSQL', createPostgresBackend);

  describe('vaults in separate schemas of one database', () => {
    it('keep their rows and KEKs apart', async () => {
      const server = await startPostgresServer({ database: 'schemas_check' });
      const open = (schema: string): Promise<Vault> =>
        createVault({ databaseUrl: server.databaseUrl, databaseSchema: schema, kek: generateKek() });
      try {
        const a = await open('org_a');
        const b = await open('org_b');
        const resource = { resourceType: 'Observation', status: 'final' };
        await a.put({ recordId: 'r-000000000000000000000001', version: 1, custodian: 'OrgA', resource });
        assert.equal((await a.list()).length, 1);
        assert.equal((await b.list()).length, 0, 'the other schema does not see the row');
        await b.close();
        // With a shared schema the second vault would refuse to open: its KEK ring cannot unwrap the first's keys.
        await assert.rejects(
          createVault({ databaseUrl: server.databaseUrl, databaseSchema: 'org_a', kek: generateKek() }),
          /KEKs that are not available/,
        );
        await a.close();
        await assert.rejects(open('Bad-Schema'), /vault schema must match/);
      } finally {
        await server.stop();
      }
    });
  });

  describe('test PostgreSQL server', () => {
    it('starts its own server on loopback and stops exactly that server, leaving no files', async () => {
      const server = await startPostgresServer({ database: 'lifecycle_check' });
      const client = new Client({ connectionString: server.databaseUrl });
      await client.connect();
      const result = await client.query<{ db: string; addr: string }>(
        'select current_database() as db, host(inet_server_addr()) as addr',
      );
      await client.end();
      const row = result.rows[0]!;
      assert.equal(row.db, 'lifecycle_check');
      assert.equal(row.addr, '127.0.0.1');
      assert.equal(processEnded(server.pid), false, 'the postmaster runs');
      await server.stop();
      assert.equal(processEnded(server.pid), true, 'the postmaster is gone');
      assert.equal(existsSync(server.dir), false);
    });
  });
}

describe('test PostgreSQL server without binaries', () => {
  it('fails with instructions instead of skipping', async () => {
    assert.equal(findPostgresBinaries({ PATH: '' }, []), undefined);
    await assert.rejects(startPostgresServer({ find: () => undefined }), (error: Error) => {
      assert.equal(error.message, POSTGRES_NOT_FOUND_MESSAGE);
      assert.match(error.message, /apt-get install -y postgresql/);
      assert.match(error.message, /MEDLEDGER_SKIP_PG=1/);
      return true;
    });
  });
});
