import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { createPostgresBackend } from './testing/backends.js';
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
