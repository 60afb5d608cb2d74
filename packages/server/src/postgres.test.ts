import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { postgresSuitesSkipped, startPostgresServer } from '@medledger/vault/testing';
import type { PostgresServer } from '@medledger/vault/testing';
import { TestServer } from './testing/test-server.js';

// The server with DATABASE_URL: each custodian organisation's vault in its own schema of one real PostgreSQL.
if (postgresSuitesSkipped()) {
  describe('server on PostgreSQL', { skip: 'MEDLEDGER_SKIP_PG=1' }, () => undefined);
} else {
  describe('server on PostgreSQL', () => {
    let postgres: PostgresServer;
    let server: TestServer;
    before(async () => {
      postgres = await startPostgresServer({ database: 'medledger_server' });
      server = await TestServer.start({ env: { DATABASE_URL: postgres.databaseUrl } });
    });
    after(async () => {
      await server.stop();
      await postgres.stop();
    });

    it('stores records in the custodian schema and serves them through the ledger gate', async () => {
      const alice = server.patientId('alice');
      const created = await server.as('dr.grey', 'POST', '/fhir/Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] },
        subject: { reference: `Patient/${alice}` },
        valueQuantity: { value: 36.8, unit: 'Cel' },
      });
      assert.equal(created.status, 201, created.text);
      const read = await server.as('dr.grey', 'GET', `/fhir/Observation/${String(created.body.id)}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.valueQuantity, { value: 36.8, unit: 'Cel' });

      const client = new Client({ connectionString: postgres.databaseUrl });
      await client.connect();
      try {
        const rows = await client.query<{ schema: string; n: string }>(
          `SELECT 'a' AS schema, count(*) AS n FROM vault_hospitalamsp.vault_records WHERE record_id = $1
           UNION ALL SELECT 'b', count(*) FROM vault_hospitalbmsp.vault_records WHERE record_id = $1`,
          [created.body.id],
        );
        assert.deepEqual(
          rows.rows.map((r) => [r.schema, Number(r.n)]),
          [
            ['a', 1],
            ['b', 0],
          ],
        );
        const plaintext = await client.query<{ hit: boolean }>(
          `SELECT bool_or(position('8310-5'::bytea in ciphertext) > 0) AS hit FROM vault_hospitalamsp.vault_ciphertexts`,
        );
        assert.equal(plaintext.rows[0]?.hit, false, 'only ciphertext is stored');
      } finally {
        await client.end();
      }
    });
  });
}
