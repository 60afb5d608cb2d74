import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '@medledger/core';
import { TestServer } from '../testing/test-server.js';
import { Custodian } from './custodian.js';
import type { AuthorizeAccessResult } from '@medledger/core';

describe('Custodian.release trusts only the committed authorization on its own ledger copy', () => {
  let server: TestServer;
  let recordId: string;
  let proof: { txId: string; blockNumber: number; requesterCertPem: string };
  let houseCert: string;

  before(async () => {
    server = await TestServer.start();
    const { network } = server.medledger;
    const alice = server.patientId('alice');
    const grey = await network.client('dr.grey');
    const submitted = await grey.submit(
      'AuthorizeAccess',
      JSON.stringify({ patientId: alice, purpose: 'TREAT', resourceTypes: ['Observation'], interaction: 'search' }),
    );
    const result = JSON.parse(submitted.result) as AuthorizeAccessResult;
    recordId = result.records[0]?.recordId ?? '';
    assert.match(recordId, /^r-/);
    proof = {
      txId: submitted.txId,
      blockNumber: submitted.blockNumber,
      requesterCertPem: (await network.identity('dr.grey')).certPem,
    };
    houseCert = (await network.identity('dr.house')).certPem;
  });
  after(async () => server.stop());

  const custodian = (clock?: () => Date): Custodian =>
    new Custodian(
      'HospitalAMSP',
      server.medledger.network.asLedger(),
      server.medledger.network.vault('HospitalAMSP'),
      clock,
    );
  const refused = (pattern: RegExp) => (error: unknown) =>
    error instanceof DomainError && error.code === 'ACCESS_DENIED' && pattern.test(error.message);

  it('releases a record the committed authorization names, to its requester', async () => {
    const resource = await custodian().release(proof, recordId);
    assert.equal(resource.resourceType, 'Observation');
  });

  it('refuses someone else presenting the authorization', async () => {
    await assert.rejects(
      custodian().release({ ...proof, requesterCertPem: houseCert }, recordId),
      refused(/someone else/),
    );
  });

  it('refuses a transaction that is not on the ledger, or not an authorization', async () => {
    await assert.rejects(
      custodian().release({ ...proof, txId: 'f'.repeat(64) }, recordId),
      refused(/not on the ledger/),
    );
    const other = await (await server.medledger.network.client('dr.grey')).submit('WhoAmI');
    await assert.rejects(
      custodian().release({ ...proof, txId: other.txId, blockNumber: other.blockNumber }, recordId),
      refused(/not an authorization|not on the ledger/),
    );
  });

  it('refuses a record the authorization does not cover, and another custodian', async () => {
    const bob = server.patientId('bob');
    const bobs = await server.as('dr.house', 'GET', `/fhir/Observation?patient=${bob}`);
    const bobRecord = String(bobs.body.entry?.[0]?.resource.id);
    await assert.rejects(custodian().release(proof, bobRecord), refused(/does not cover/));
    const hospitalB = new Custodian(
      'HospitalBMSP',
      server.medledger.network.asLedger(),
      server.medledger.network.vault('HospitalBMSP'),
    );
    await assert.rejects(hospitalB.release(proof, recordId), refused(/does not cover/));
  });

  it('refuses an authorization older than five minutes', async () => {
    const later = () => new Date(Date.now() + 6 * 60 * 1000);
    await assert.rejects(custodian(later).release(proof, recordId), refused(/too old/));
  });
});
