import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../testing/test-server.js';

type Block = { blockNumber: number; blockHash: string; previousHash: string; transactions: Array<{ fcn: string }> };

describe('portal operations: latest blocks and password reset', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(async () => server.stop());

  it('lists the latest blocks newest first, each linked to the one before by its hash', async () => {
    const height = await server.medledger.network.ledger.height();
    const response = await server.as('admin.hospa', 'GET', '/api/network/blocks?limit=5');
    assert.equal(response.status, 200, response.text);
    const blocks = response.body.blocks as Block[];
    assert.deepEqual(
      blocks.map((b) => b.blockNumber),
      [height - 1, height - 2, height - 3, height - 4, height - 5],
    );
    for (let i = 0; i + 1 < blocks.length; i += 1) assert.equal(blocks[i]!.previousHash, blocks[i + 1]!.blockHash);
    assert.ok(blocks.every((b) => /^[0-9a-f]{64}$/.test(b.blockHash)));
    assert.doesNotMatch(response.text, /Anders|Alice|1985-02-14/, 'no PHI in the block summaries');
  });

  it('refuses non-administrators and a bad limit', async () => {
    assert.equal((await server.as('dr.grey', 'GET', '/api/network/blocks')).status, 403);
    assert.equal((await server.as('alice', 'GET', '/api/network/blocks')).status, 403);
    assert.equal((await server.as('admin.hospa', 'GET', '/api/network/blocks?limit=0')).status, 400);
    assert.equal((await server.as('admin.hospa', 'GET', '/api/network/blocks?limit=51')).status, 400);
    assert.equal((await server.as(undefined, 'GET', '/api/network/blocks')).status, 401);
  });

  it("lets an administrator reset a password of their own organisation's people only", async () => {
    const reset = await server.as('admin.hospa', 'POST', '/api/admin/users/dr.grey/password', {
      password: 'a-brand-new-password-42',
    });
    assert.equal(reset.status, 200, reset.text);
    const login = async (password: string): Promise<number> =>
      (
        await server.app.inject({
          method: 'POST',
          url: '/auth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ grant_type: 'password', username: 'dr.grey', password }).toString(),
        })
      ).statusCode;
    assert.equal(await login('a-brand-new-password-42'), 200);
    assert.equal(await login('medledger-demo'), 400);

    const foreign = await server.as('admin.hospa', 'POST', '/api/admin/users/dr.house/password', {
      password: 'another-password-1234',
    });
    assert.equal(foreign.status, 404);
    const notAdmin = await server.as('po.hospa', 'POST', '/api/admin/users/dr.grey/password', {
      password: 'another-password-1234',
    });
    assert.equal(notAdmin.status, 403);
    const short = await server.as('admin.hospa', 'POST', '/api/admin/users/dr.grey/password', { password: 'x' });
    assert.equal(short.status, 400);
    // A patient's account is out of an administrator's reach: alice (HospitalA) keeps her password.
    const patient = await server.as('admin.hospa', 'POST', '/api/admin/users/alice/password', {
      password: 'an-admin-chosen-password-1',
    });
    assert.equal(patient.status, 403, patient.text);
    assert.equal(patient.body.resourceType, 'OperationOutcome');
    assert.equal((await server.as('alice', 'GET', '/api/whoami')).status, 200);
  });
});
