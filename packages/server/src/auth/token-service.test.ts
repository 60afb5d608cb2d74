import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DomainError } from '@medledger/core';
import type { Account } from '../store/server-store.js';
import { TokenService } from './token-service.js';

const account: Account = {
  username: 'dr.grey',
  displayName: 'Dr. Grey',
  kind: 'person',
  mspId: 'HospitalAMSP',
  role: 'clinician',
  uid: 'dr.grey',
  demo: false,
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('TokenService', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medledger-tokens-'));
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const open = (now: number, issuer = 'http://a.test') =>
    TokenService.open({ dataDir, issuer, ttlSeconds: 60, clock: () => new Date(now) });

  it('issues tokens it verifies, with a private signing key file', async () => {
    const tokens = await open(Date.parse('2026-11-25T10:00:00Z'));
    const { token, expiresIn } = await tokens.issue(account, 'user/*.rs');
    assert.equal(expiresIn, 60);
    const claims = await tokens.verify(token);
    assert.equal(claims.username, 'dr.grey');
    assert.equal(claims.scope, 'user/*.rs');
    assert.equal(statSync(join(dataDir, 'secrets', 'token-signing.jwk')).mode & 0o077, 0);
  });

  it('refuses an expired token, and one for another issuer', async () => {
    const t0 = Date.parse('2026-11-25T10:00:00Z');
    const { token } = await (await open(t0)).issue(account, 'user/*.rs');
    const later = await open(t0 + 61_000);
    await assert.rejects(later.verify(token), (e: unknown) => e instanceof DomainError && /expired/.test(e.message));
    const other = await open(t0, 'http://b.test');
    await assert.rejects(other.verify(token), (e: unknown) => e instanceof DomainError && e.code === 'UNAUTHENTICATED');
  });
});
