import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord } from '@medledger/core';
import { legacyAuditKeys, putLegacyAuditRef, rewriteAuditIntoLegacyLayout } from '../testing/legacy-audit-layout.js';
import { createMedledgerFixture, sha256 } from '../testing/medledger-fixture.js';
import type { MedledgerFixture } from '../testing/medledger-fixture.js';
import type { TestIdentity } from '../testing/test-ca.js';
import type { AuditMigrationResult } from './audit-migration.js';

type Page = { events: AuditRecord[]; bookmark: string };

/** A caller's whole audit trail, read a few events at a time with the bookmarks it returns. */
async function trail(f: MedledgerFixture, identity: TestIdentity): Promise<AuditRecord[]> {
  const events: AuditRecord[] = [];
  let bookmark = '';
  do {
    const page = await f.evaluate<Page>(identity, 'GetAuditTrail', { pageSize: 3, ...(bookmark ? { bookmark } : {}) });
    events.push(...page.events);
    bookmark = page.bookmark;
  } while (bookmark !== '');
  return events;
}

/** Index order: newest first; events of one transaction (same time) by id. */
function newestFirst(events: readonly AuditRecord[]): string[] {
  return [...events]
    .sort((a, b) => (a.recorded === b.recorded ? (a.id < b.id ? -1 : 1) : a.recorded > b.recorded ? -1 : 1))
    .map((event) => event.id);
}

/** Every state entry as text, to compare the whole world state before and after. */
function snapshot(f: MedledgerFixture): string[] {
  return [...f.harness.state.range('', '')].map((entry) => `${entry.key}=${Buffer.from(entry.value).toString()}`);
}

/** Audit events of two patients of two hospitals, involving three organisations. */
async function writeAuditHistory(f: MedledgerFixture) {
  const pia = await f.patient('pia');
  const quinn = await f.patient('quinn', 'HospitalBMSP');
  const drA = await f.id('HospitalAMSP', 'clinician', 'dr-a');
  const drB = await f.id('HospitalBMSP', 'clinician', 'dr-b');
  const insurer = await f.id('InsurerMSP', 'insurer', 'ins-1');
  await f.record(drA, pia.patientId);
  await f.record(drB, quinn.patientId);
  await f.submit(drA, 'AuthorizeAccess', { patientId: pia.patientId, purpose: 'TREAT' });
  await f.submit(insurer, 'AuthorizeAccess', { patientId: pia.patientId, purpose: 'HPAYMT' });
  await f.submit(drB, 'BreakGlass', {
    patientId: pia.patientId,
    reasonHash: sha256('unconscious'),
    reasonCode: 'unconscious-patient',
  });
  await f.submit(drB, 'AuthorizeAccess', { patientId: pia.patientId, purpose: 'ETREAT' });
  await f.submit(drA, 'AuthorizeAccess', { patientId: quinn.patientId, purpose: 'TREAT' });
  return { pia, quinn, drA, drB, insurer };
}

describe('MigrateAuditIndexes on a ledger written by the previous contract version', () => {
  it('lists the old events again, newest first, for the patient and every involved privacy officer', async () => {
    const f = await createMedledgerFixture();
    const { pia, quinn, drA, insurer } = await writeAuditHistory(f);
    const oldEvents = [...(await trail(f, pia.identity)), ...(await trail(f, quinn.identity))];
    const orgs = [...new Set(oldEvents.flatMap((event) => event.orgs))].sort();
    assert.deepEqual(orgs, ['HospitalAMSP', 'HospitalBMSP', 'InsurerMSP'], 'events of several organisations');
    assert.ok(
      oldEvents.some((event) => event.orgs.length > 1),
      'events with a legacy key per organisation',
    );

    // What a ledger written by the previous version holds: these events, indexed only under audit-by-org.
    assert.equal(rewriteAuditIntoLegacyLayout(f.harness.state), oldEvents.length);
    const officers = await Promise.all(orgs.map((org) => f.id(org, 'privacy-officer', `po-${org}`)));
    for (const viewer of [pia.identity, quinn.identity, ...officers]) {
      assert.deepEqual(await trail(f, viewer), [], 'before the migration the old events are not listed (the bug)');
    }

    // After the upgrade, before the migration: new events go to the new indexes only.
    await f.submit(drA, 'AuthorizeAccess', { patientId: pia.patientId, purpose: 'TREAT' });
    await f.submit(insurer, 'AuthorizeAccess', { patientId: pia.patientId, purpose: 'HPAYMT' });
    const newEvents = (await trail(f, pia.identity)).slice(0, 2);
    assert.equal(newEvents.length, 2);

    const admin = await f.id('HospitalBMSP', 'admin', 'adm-b');
    const runs: AuditMigrationResult[] = [];
    do {
      runs.push(await f.submit<AuditMigrationResult>(admin, 'MigrateAuditIndexes', { pageSize: 2 }));
    } while (runs.at(-1)?.remaining === true && runs.length < 100);
    assert.equal(runs.at(-1)?.remaining, false);
    assert.ok(runs.length > 2, `several pages (${String(runs.length)})`);
    assert.equal(
      runs.reduce((sum, run) => sum + run.migrated, 0),
      oldEvents.length,
      'each event counted once',
    );
    assert.deepEqual(legacyAuditKeys(f.harness.state), [], 'no legacy key remains');

    const all = [...oldEvents, ...newEvents];
    for (const [viewer, patient] of [
      [pia.identity, pia.patientId],
      [quinn.identity, quinn.patientId],
    ] as const) {
      const ids = (await trail(f, viewer)).map((event) => event.id);
      assert.deepEqual(ids, newestFirst(all.filter((event) => event.patientId === patient)), 'the patient trail');
    }
    for (const [index, org] of orgs.entries()) {
      const ids = (await trail(f, officers[index] as TestIdentity)).map((event) => event.id);
      assert.deepEqual(ids, newestFirst(all.filter((event) => event.orgs.includes(org))), `${org}'s trail`);
    }
  });

  it('changes nothing when run again, and says so when evaluated', async () => {
    const f = await createMedledgerFixture();
    await writeAuditHistory(f);
    rewriteAuditIntoLegacyLayout(f.harness.state);
    const admin = await f.id('HospitalAMSP', 'admin', 'adm-a');
    const before = snapshot(f);
    const dryRun = await f.evaluate<AuditMigrationResult>(admin, 'MigrateAuditIndexes', { pageSize: 1 });
    assert.deepEqual(dryRun, { migrated: 1, remaining: true }, 'evaluated: something is left');
    assert.deepEqual(snapshot(f), before, 'evaluating commits nothing');

    const first = await f.submitRaw(admin, 'MigrateAuditIndexes', {});
    const result = JSON.parse(first.result) as AuditMigrationResult;
    assert.equal(result.remaining, false);
    assert.equal(first.event?.name, 'AuditIndexesMigrated');
    assert.deepEqual(JSON.parse(Buffer.from(first.event.payload).toString()), { mspId: 'HospitalAMSP', ...result });
    const migrated = snapshot(f);
    assert.notDeepEqual(migrated, before);
    assert.deepEqual(await f.evaluate(admin, 'MigrateAuditIndexes', { pageSize: 1 }), {
      migrated: 0,
      remaining: false,
    });

    const again = await f.submitRaw(admin, 'MigrateAuditIndexes', {});
    assert.deepEqual(JSON.parse(again.result), { migrated: 0, remaining: false });
    assert.deepEqual(again.writes, [], 'no write');
    assert.equal(again.event, null, 'no event when nothing was migrated');
    assert.deepEqual(snapshot(f), migrated);
  });

  it('drops a legacy entry whose event does not exist, without counting it', async () => {
    const f = await createMedledgerFixture();
    const { pia, quinn } = await writeAuditHistory(f);
    const events = [...(await trail(f, pia.identity)), ...(await trail(f, quinn.identity))];
    const newest = events[0] as AuditRecord;
    rewriteAuditIntoLegacyLayout(f.harness.state);
    const dangling = { patientId: pia.patientId, recorded: newest.recorded, id: `ae-${'0'.repeat(24)}` };
    putLegacyAuditRef(f.harness.state, 'HospitalAMSP', dangling);
    const admin = await f.id('HospitalAMSP', 'admin', 'adm-a');
    const result = await f.submit<AuditMigrationResult>(admin, 'MigrateAuditIndexes', { pageSize: 500 });
    assert.deepEqual(result, { migrated: events.length, remaining: false });
    assert.deepEqual(legacyAuditKeys(f.harness.state), []);
    assert.deepEqual(
      (await trail(f, pia.identity)).map((event) => event.id),
      newestFirst(events.filter((event) => event.patientId === pia.patientId)),
      'the dangling entry adds nothing to the trail',
    );
  });
});
