import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, sign, verify } from 'node:crypto';

import { ClientIdentity } from 'fabric-shim';

import { MemoryState } from '../simulation/memory-state.js';
import { createSimulatedStub } from '../simulation/simulated-stub.js';
import type { TestIdentity } from './test-ca.js';
import { createTestCa, createTestNetwork, FABRIC_ATTRIBUTE_OID } from './test-ca.js';

function clientIdentityOf(identity: TestIdentity): ClientIdentity {
  const stub = createSimulatedStub({
    state: new MemoryState(),
    txId: 'tx-1',
    channelId: 'medledger',
    timestamp: { seconds: 1_740_823_200, nanos: 0 },
    creator: { mspid: identity.mspId, idBytes: new TextEncoder().encode(identity.certPem) },
    fcn: 'WhoAmI',
    args: [],
  });
  return new ClientIdentity(stub);
}

describe('test CA', () => {
  it("issues certificates that fabric-shim's ClientIdentity reads: MSP id, role, uid and X.509 id", async () => {
    const ca = await createTestCa('HospitalAMSP');
    const identity = await ca.issue({ uid: 'dr-jones', role: 'clinician' });

    const clientIdentity = clientIdentityOf(identity);

    assert.equal(clientIdentity.getMSPID(), 'HospitalAMSP');
    assert.equal(clientIdentity.getAttributeValue('role'), 'clinician');
    assert.equal(clientIdentity.getAttributeValue('uid'), 'dr-jones');
    assert.equal(clientIdentity.getAttributeValue('hf.EnrollmentID'), 'dr-jones');
    assert.equal(clientIdentity.getAttributeValue('hf.Type'), 'client');
    assert.equal(clientIdentity.getAttributeValue('absent'), null);
    assert.equal(clientIdentity.assertAttributeValue('role', 'clinician'), true);
    assert.equal(clientIdentity.getID(), 'x509::/OU=client/OU=hospitala/CN=dr-jones::/CN=ca.hospitala/O=hospitala');
  });

  it('writes the attribute extension as non-critical raw JSON with sorted keys, plus extra attributes', async () => {
    const ca = await createTestCa('ResearchMSP');
    const identity = await ca.issue({ uid: 'r1', role: 'researcher', extraAttrs: { study: 'S-1' } });

    const extension = identity.certificate.getExtension(FABRIC_ATTRIBUTE_OID);

    assert.ok(extension);
    assert.equal(extension.critical, false);
    assert.equal(
      Buffer.from(extension.value).toString('utf8'),
      '{"attrs":{"hf.Affiliation":"","hf.EnrollmentID":"r1","hf.Type":"client","role":"researcher","study":"S-1","uid":"r1"}}',
    );
    assert.equal(clientIdentityOf(identity).getAttributeValue('study'), 'S-1');
  });

  it('issues leaves that verify against their CA and not against another CA', async () => {
    const ca = await createTestCa('InsurerMSP');
    const other = await createTestCa('InsurerMSP');
    const identity = await ca.issue({ uid: 'claims-bot', role: 'insurer' });
    const date = new Date('2025-03-01T10:00:00Z');

    assert.equal(await identity.certificate.verify({ publicKey: ca.certificate.publicKey, date }), true);
    assert.equal(await identity.certificate.verify({ publicKey: other.certificate.publicKey, date }), false);
    assert.equal(await ca.certificate.verify({ date }), true);
    assert.equal(await ca.certificate.isSelfSigned(), true);
    assert.equal(identity.certificate.issuer, ca.certificate.subject);
  });

  it('gives a private key that signs for the certificate public key', async () => {
    const ca = await createTestCa('HospitalBMSP');
    const identity = await ca.issue({ uid: 'nurse-1', role: 'clinician' });
    const publicKey = createPublicKey(identity.certPem);

    const signature = sign('sha256', Buffer.from('proposal'), identity.privateKey);

    assert.equal(verify('sha256', Buffer.from('proposal'), publicKey, signature), true);
    assert.match(identity.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  it('creates one CA per network organisation and caches identities', async () => {
    const network = await createTestNetwork();

    const first = await network.identity('HealthAuthorityMSP', 'public-health', 'ph-1');
    const again = await network.identity('HealthAuthorityMSP', 'public-health', 'ph-1');
    const otherRole = await network.identity('HealthAuthorityMSP', 'admin', 'ph-1');

    assert.deepEqual(network.mspIds, [
      'HospitalAMSP',
      'HospitalBMSP',
      'InsurerMSP',
      'HealthAuthorityMSP',
      'ResearchMSP',
    ]);
    assert.equal(again, first);
    assert.notEqual(otherRole, first);
    assert.equal(clientIdentityOf(first).getMSPID(), 'HealthAuthorityMSP');
    assert.throws(() => network.ca('UnknownMSP'), /no test CA for UnknownMSP/);
  });
});
