import {
  DEFAULT_STUDY_DELTA,
  DomainError,
  expectDelta,
  expectEpsilon,
  PATTERNS,
  toMicroEpsilon,
  toPicoDelta,
} from '@medledger/core';

export interface BudgetSpend {
  /** The epsilon this release costs: in (0, 10] with at most six decimals, as the contract accepts. */
  readonly epsilon: number;
  /** The release's δ when it is (ε, δ)-DP (Gaussian): spent from the study's δ budget the same way. */
  readonly delta?: number;
  /** SHA-256 (hex) of the release's description (see `queryHash`): what the spend was for, on the ledger. */
  readonly queryHash: string;
}

export interface BudgetReceipt {
  readonly spentMicro: number;
  readonly remainingMicro: number;
  /** δ in whole 10⁻¹² units. */
  readonly deltaSpentPico: number;
  readonly deltaRemainingPico: number;
  readonly queryHash: string;
}

/**
 * Where a study's epsilon budget lives. `spend` must commit the spend before it resolves and must refuse with
 * DomainError BUDGET_EXHAUSTED (leaving the budget unchanged) when the study has too little left. The production
 * implementation submits the contract's `SpendPrivacyBudget` transaction ({ studyId, epsilon, queryHash }), which keeps
 * the balance in micro-epsilon integers and serialises concurrent spends by MVCC; `MemoryPrivacyAccountant` is the
 * in-process equivalent for tests and local analyses.
 */
export interface PrivacyAccountant {
  spend(request: BudgetSpend): Promise<BudgetReceipt>;
}

/** An in-memory accountant with the contract's arithmetic: whole micro-epsilons and 10⁻¹² δs, all-or-nothing spends. */
export class MemoryPrivacyAccountant implements PrivacyAccountant {
  readonly #budgetMicro: number;
  readonly #deltaBudgetPico: number;
  #spentMicro = 0;
  #deltaSpentPico = 0;

  /** @throws DomainError INVALID_ARGUMENT for a budget outside (0, 10] or with more than six decimals, or a bad δ */
  constructor(budgetEpsilon: number, deltaBudget: number = DEFAULT_STUDY_DELTA) {
    this.#budgetMicro = toMicroEpsilon(expectEpsilon(budgetEpsilon, 'budget'));
    this.#deltaBudgetPico = toPicoDelta(expectDelta(deltaBudget, 'deltaBudget'));
  }

  get remainingMicro(): number {
    return this.#budgetMicro - this.#spentMicro;
  }

  get spentMicro(): number {
    return this.#spentMicro;
  }

  get deltaRemainingPico(): number {
    return this.#deltaBudgetPico - this.#deltaSpentPico;
  }

  spend(request: BudgetSpend): Promise<BudgetReceipt> {
    try {
      const spend = toMicroEpsilon(expectEpsilon(request.epsilon, 'epsilon'));
      const deltaSpend = request.delta === undefined ? 0 : toPicoDelta(expectDelta(request.delta, 'delta'));
      if (!PATTERNS.sha256Hex.test(request.queryHash)) {
        throw new DomainError('INVALID_ARGUMENT', 'queryHash must be 64 lowercase hex digits');
      }
      if (spend > this.remainingMicro) {
        throw new DomainError(
          'BUDGET_EXHAUSTED',
          `privacy budget exhausted: ${this.remainingMicro} micro-epsilon left`,
        );
      }
      if (deltaSpend > this.deltaRemainingPico) {
        throw new DomainError('BUDGET_EXHAUSTED', `privacy budget exhausted: δ ${this.deltaRemainingPico}e-12 left`);
      }
      this.#spentMicro += spend;
      this.#deltaSpentPico += deltaSpend;
      return Promise.resolve({
        spentMicro: spend,
        remainingMicro: this.remainingMicro,
        deltaSpentPico: deltaSpend,
        deltaRemainingPico: this.deltaRemainingPico,
        queryHash: request.queryHash,
      });
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
