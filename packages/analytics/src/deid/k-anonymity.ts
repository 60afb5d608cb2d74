import { DomainError } from '@medledger/core';

export interface QuasiIdentifierRow {
  /** Who the row belongs to (a patient pseudonym). */
  readonly key: string;
  /** The row's released quasi-identifier values, in a fixed order. */
  readonly values: readonly string[];
}

export interface KAnonymityResult {
  readonly k: number;
  /** Equivalence classes (identical quasi-identifier values) before suppression. */
  readonly equivalenceClasses: number;
  readonly suppressedClasses: number;
  /** Keys of the rows in classes smaller than k. */
  readonly suppressed: ReadonlySet<string>;
  /** The smallest class left after suppression (≥ k), or null when nothing is left. */
  readonly kAchieved: number | null;
}

/**
 * Checks k-anonymity over released quasi-identifiers and suppresses every row of a class smaller than k (local
 * suppression). After suppression each remaining row shares its quasi-identifier values with at least k − 1 others.
 * @throws DomainError INVALID_ARGUMENT unless k is an integer ≥ 1
 */
export function enforceKAnonymity(rows: Iterable<QuasiIdentifierRow>, k: number): KAnonymityResult {
  if (!Number.isInteger(k) || k < 1) throw new DomainError('INVALID_ARGUMENT', 'k must be an integer of at least 1');
  const classes = new Map<string, string[]>();
  for (const row of rows) {
    const signature = JSON.stringify(row.values);
    const members = classes.get(signature);
    if (members === undefined) classes.set(signature, [row.key]);
    else members.push(row.key);
  }
  const suppressed = new Set<string>();
  let suppressedClasses = 0;
  let kAchieved: number | null = null;
  for (const members of classes.values()) {
    if (members.length < k) {
      suppressedClasses++;
      for (const key of members) suppressed.add(key);
    } else {
      kAchieved = kAchieved === null ? members.length : Math.min(kAchieved, members.length);
    }
  }
  return { k, equivalenceClasses: classes.size, suppressedClasses, suppressed, kAchieved };
}
