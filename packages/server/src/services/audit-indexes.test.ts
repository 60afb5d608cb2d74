import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORGANIZATIONS } from '@medledger/core';
import { serviceLabel } from '../network/embedded-network.js';
import { MemoryLog, TestServer } from '../testing/test-server.js';
import { migrateLegacyAuditIndexes } from './audit-indexes.js';
import { LedgerGateway } from './ledger-gateway.js';

const migrationCalls = <Call extends { arguments: readonly unknown[] }>(calls: readonly Call[]): Call[] =>
  calls.filter((call) => call.arguments[1] === 'MigrateAuditIndexes');

const migrationLog = (log: MemoryLog) => log.lines.filter((line) => /audit indexes/.test(line.message));

describe('start-up migration of the audit indexes of an earlier ledger', () => {
  it('asks the ledger once per start and submits nothing: on a fresh ledger, and on one with audit events', async (t) => {
    // Spies around the real calls: the ledger answers as it would without them.
    const evaluate = t.mock.method(LedgerGateway.prototype, 'evaluate');
    const submit = t.mock.method(LedgerGateway.prototype, 'submit');
    const assertAskedOnly = async (server: TestServer): Promise<void> => {
      const asked = migrationCalls(evaluate.mock.calls);
      assert.equal(asked.length, 1, 'one evaluate');
      assert.equal(asked[0]?.arguments[0], serviceLabel(ORGANIZATIONS[0]), "as an organisation's service identity");
      assert.deepEqual(await asked[0].result, { migrated: 0, remaining: false });
      assert.deepEqual(migrationCalls(submit.mock.calls), [], 'no MigrateAuditIndexes transaction');
      assert.deepEqual(migrationLog(server.log), []);
    };

    const fresh = await TestServer.start();
    await assertAskedOnly(fresh);
    // Audit events, and proof that the spy sees what the server submits (the search's AuthorizeAccess).
    const search = await fresh.as('dr.grey', 'GET', `/fhir/Observation?patient=${fresh.patientId('alice')}`);
    assert.equal(search.status, 200);
    assert.ok(submit.mock.calls.some((call) => call.arguments[1] === 'AuthorizeAccess'));
    await fresh.stop({ keepData: true });

    evaluate.mock.resetCalls();
    submit.mock.resetCalls();
    const restarted = await TestServer.start({ dataDir: fresh.dataDir });
    try {
      await assertAskedOnly(restarted);
    } finally {
      await restarted.stop();
    }
  });

  it('starts anyway when the migration fails, with an ALERT', async () => {
    const first = await TestServer.start();
    // The service identity that runs the migration can no longer sign: the ledger refuses it.
    await first.medledger.network.revoke(serviceLabel(ORGANIZATIONS[0]));
    await first.stop({ keepData: true });
    const server = await TestServer.start({ dataDir: first.dataDir });
    try {
      assert.deepEqual(
        migrationLog(server.log).map((line) => [line.level, /^ALERT: /.test(line.message)]),
        [['error', true]],
      );
      assert.equal((await server.as(undefined, 'GET', '/health')).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('submits pages until none is left and logs how many events moved', async () => {
    // A scripted ledger with three pages of legacy entries: the loop, not the contract (the contract's tests migrate).
    const pages = [
      { migrated: 200, remaining: true },
      { migrated: 180, remaining: true },
      { migrated: 7, remaining: false },
    ];
    const submitted: unknown[] = [];
    const gateway = {
      evaluate: (() => Promise.resolve({ migrated: 1, remaining: true })) as LedgerGateway['evaluate'],
      submit: ((_account: string, _tx: string, input?: unknown) => {
        submitted.push(input);
        return Promise.resolve({ value: pages[submitted.length - 1], txId: 'tx', blockNumber: submitted.length });
      }) as LedgerGateway['submit'],
    };
    const log = new MemoryLog();
    assert.equal(await migrateLegacyAuditIndexes(gateway, 'svc.hospitalamsp', log), 387);
    assert.equal(submitted.length, 3);
    assert.deepEqual(log.lines, [
      {
        level: 'info',
        details: { migrated: 387 },
        message: 'migrated the audit indexes of a ledger written by an earlier version',
      },
    ]);
  });
});
