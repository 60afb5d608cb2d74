import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPrivacyAccountant } from './accountant.js';

const HASH = 'a'.repeat(64);

describe('MemoryPrivacyAccountant', () => {
  it('keeps the balance in whole micro-epsilons, as the contract does', async () => {
    const accountant = new MemoryPrivacyAccountant(1);
    const first = await accountant.spend({ epsilon: 0.1, queryHash: HASH });
    const second = await accountant.spend({ epsilon: 0.2, queryHash: HASH });
    assert.deepEqual(first, {
      spentMicro: 100_000,
      remainingMicro: 900_000,
      deltaSpentPico: 0,
      deltaRemainingPico: 10_000_000,
      queryHash: HASH,
    });
    assert.equal(second.remainingMicro, 700_000);
    assert.equal(accountant.spentMicro, 300_000, '0.1 + 0.2 is exactly 0.3 here');
  });

  it('refuses a spend beyond the budget with BUDGET_EXHAUSTED and leaves the budget unchanged', async () => {
    const accountant = new MemoryPrivacyAccountant(0.5);
    await accountant.spend({ epsilon: 0.4, queryHash: HASH });
    await assert.rejects(accountant.spend({ epsilon: 0.100001, queryHash: HASH }), { code: 'BUDGET_EXHAUSTED' });
    assert.equal(accountant.remainingMicro, 100_000);
    await accountant.spend({ epsilon: 0.1, queryHash: HASH });
    assert.equal(accountant.remainingMicro, 0);
    await assert.rejects(accountant.spend({ epsilon: 0.000001, queryHash: HASH }), { code: 'BUDGET_EXHAUSTED' });
    assert.equal(accountant.spentMicro, 500_000);
  });

  it('sums the δ of Gaussian releases against the δ budget and refuses the one that would exceed it', async () => {
    const accountant = new MemoryPrivacyAccountant(1, 3e-6);
    for (let i = 0; i < 3; i += 1) await accountant.spend({ epsilon: 0.01, delta: 1e-6, queryHash: HASH });
    assert.equal(accountant.deltaRemainingPico, 0);
    await assert.rejects(accountant.spend({ epsilon: 0.01, delta: 1e-12, queryHash: HASH }), {
      code: 'BUDGET_EXHAUSTED',
    });
    assert.equal(accountant.spentMicro, 30_000, 'the refused release spent no epsilon either');
    // Pure ε-DP releases need no δ.
    assert.equal((await accountant.spend({ epsilon: 0.01, queryHash: HASH })).deltaSpentPico, 0);
    assert.throws(() => new MemoryPrivacyAccountant(1, 2e-3), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(accountant.spend({ epsilon: 0.01, delta: 1.5e-13, queryHash: HASH }), {
      code: 'INVALID_ARGUMENT',
    });
  });

  it('validates epsilons and query hashes like SpendPrivacyBudget', async () => {
    assert.throws(() => new MemoryPrivacyAccountant(0), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new MemoryPrivacyAccountant(11), { code: 'INVALID_ARGUMENT' });
    const accountant = new MemoryPrivacyAccountant(1);
    await assert.rejects(accountant.spend({ epsilon: 0.0000001, queryHash: HASH }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(accountant.spend({ epsilon: -1, queryHash: HASH }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(accountant.spend({ epsilon: 0.1, queryHash: 'nope' }), { code: 'INVALID_ARGUMENT' });
    assert.equal(accountant.spentMicro, 0);
  });
});
