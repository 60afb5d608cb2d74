import {
  DEFAULT_STUDY_DELTA,
  isStudyActive,
  DomainError,
  expectDelta,
  expectEpsilon,
  fhirInstantRange,
  invalid,
  expectOneOf,
  expectString,
  onlyKnownKeys,
  parseJsonObject,
  PATTERNS,
  studyDeltaBudgetPico,
  studyOwnerRole,
  toMicroEpsilon,
  toPicoDelta,
} from '@medledger/core';
import type { ProposeStudyInput, StudyRecord } from '@medledger/core';
import { findStudy, KEYS } from './store.js';
import type { Tx } from './tx.js';

/**
 * A researcher proposes a study: purpose, the data it needs, a hash of its protocol and an epsilon budget. The
 * public-health role proposes a surveillance programme the same way with purpose PUBHLTH: it holds the epsilon budget
 * its differentially private aggregates spend, and needs the same ethics approval.
 */
export async function proposeStudy(tx: Tx, input: ProposeStudyInput): Promise<StudyRecord> {
  if (tx.caller.role !== studyOwnerRole(input.purpose)) {
    throw new DomainError(
      'ACCESS_DENIED',
      input.purpose === 'PUBHLTH'
        ? 'only the public-health role may propose a surveillance programme'
        : 'only researchers may propose studies',
    );
  }
  if (input.periodEnd !== undefined && fhirInstantRange(input.periodEnd, 'periodEnd').end < tx.timeMs) {
    throw invalid('periodEnd is in the past');
  }
  const study: StudyRecord = {
    id: tx.newId('st'),
    proposer: tx.caller,
    purpose: input.purpose,
    resourceTypes: input.resourceTypes,
    protocolHash: input.protocolHash,
    epsilonBudgetMicro: toMicroEpsilon(input.epsilonBudget),
    epsilonSpentMicro: 0,
    deltaBudgetPico: toPicoDelta(input.deltaBudget ?? DEFAULT_STUDY_DELTA),
    deltaSpentPico: 0,
    status: 'proposed',
    periodEnd: input.periodEnd,
    createdAt: tx.time,
    txId: tx.txId,
  };
  await tx.put(tx.key(KEYS.study, study.id), study);
  tx.emit('StudyProposed', { studyId: study.id, mspId: tx.caller.mspId });
  return study;
}

export function parseDecideStudy(text: string): { studyId: string; decision: 'approve' | 'reject' } {
  const input = parseJsonObject(text, 'DecideStudy input');
  onlyKnownKeys(input, ['studyId', 'decision'], 'DecideStudy input');
  return {
    studyId: expectString(input.studyId, PATTERNS.studyId, 'studyId'),
    decision: expectOneOf(input.decision, ['approve', 'reject'] as const, 'decision'),
  };
}

/** An ethics board member who is not the proposer approves or rejects a proposed study. */
export async function decideStudy(
  tx: Tx,
  input: { studyId: string; decision: 'approve' | 'reject' },
): Promise<StudyRecord> {
  const { role, mspId, uid } = tx.caller;
  if (role !== 'ethics') throw new DomainError('ACCESS_DENIED', 'only the ethics role may decide studies');
  const study = await findStudy(tx, input.studyId);
  if (!study) throw new DomainError('NOT_FOUND', 'study not found');
  if (study.proposer.mspId === mspId && study.proposer.uid === uid) {
    throw new DomainError('ACCESS_DENIED', 'the proposer may not decide their own study');
  }
  if (study.status !== 'proposed') throw new DomainError('CONFLICT', `study is already ${study.status}`);
  const decided: StudyRecord = {
    ...study,
    status: input.decision === 'approve' ? 'approved' : 'rejected',
    decidedBy: `Practitioner/${uid}`,
    decidedAt: tx.time,
  };
  await tx.put(tx.key(KEYS.study, study.id), decided);
  tx.emit('StudyDecided', { studyId: study.id, status: decided.status });
  return decided;
}

export interface SpendBudgetInput {
  readonly studyId: string;
  readonly epsilon: number;
  /** The release's δ (Gaussian releases); absent for pure ε-DP. */
  readonly delta?: number;
  readonly queryHash: string;
}

export function parseSpendBudget(text: string): SpendBudgetInput {
  const input = parseJsonObject(text, 'SpendPrivacyBudget input');
  onlyKnownKeys(input, ['studyId', 'epsilon', 'delta', 'queryHash'], 'SpendPrivacyBudget input');
  return {
    studyId: expectString(input.studyId, PATTERNS.studyId, 'studyId'),
    epsilon: expectEpsilon(input.epsilon, 'epsilon'),
    ...(input.delta === undefined ? {} : { delta: expectDelta(input.delta, 'delta') }),
    queryHash: expectString(input.queryHash, PATTERNS.sha256Hex, 'queryHash'),
  };
}

export interface BudgetReceipt {
  readonly studyId: string;
  readonly spentMicro: number;
  readonly remainingMicro: number;
  readonly deltaSpentPico: number;
  readonly deltaRemainingPico: number;
  readonly queryHash: string;
  readonly txId: string;
}

/**
 * Spends part of an approved study's epsilon budget, atomically: the read of the balance is in the read set, so two
 * concurrent spends cannot both pass (the second fails MVCC validation). Overspending is refused.
 */
export async function spendPrivacyBudget(tx: Tx, input: SpendBudgetInput): Promise<BudgetReceipt> {
  const { role, mspId } = tx.caller;
  const study = await findStudy(tx, input.studyId);
  if (!study || role !== studyOwnerRole(study.purpose) || study.proposer.mspId !== mspId)
    throw new DomainError('NOT_FOUND', 'study not found');
  if (!isStudyActive(study, tx.timeMs))
    throw new DomainError('STUDY_NOT_APPROVED', 'study is not approved or has ended');
  const spend = toMicroEpsilon(input.epsilon);
  const remaining = study.epsilonBudgetMicro - study.epsilonSpentMicro;
  if (spend > remaining) {
    throw new DomainError('BUDGET_EXHAUSTED', `privacy budget exhausted: ${remaining} micro-epsilon left`);
  }
  const deltaSpend = input.delta === undefined ? 0 : toPicoDelta(input.delta);
  const deltaSpent = study.deltaSpentPico ?? 0;
  const deltaRemaining = studyDeltaBudgetPico(study) - deltaSpent;
  if (deltaSpend > deltaRemaining) {
    throw new DomainError('BUDGET_EXHAUSTED', `privacy budget exhausted: δ ${deltaRemaining}e-12 left`);
  }
  await tx.put(tx.key(KEYS.study, study.id), {
    ...study,
    epsilonSpentMicro: study.epsilonSpentMicro + spend,
    deltaBudgetPico: studyDeltaBudgetPico(study),
    deltaSpentPico: deltaSpent + deltaSpend,
  });
  tx.emit('PrivacyBudgetSpent', {
    studyId: study.id,
    spentMicro: spend,
    deltaSpentPico: deltaSpend,
    queryHash: input.queryHash,
  });
  return {
    studyId: study.id,
    spentMicro: spend,
    remainingMicro: remaining - spend,
    deltaSpentPico: deltaSpend,
    deltaRemainingPico: deltaRemaining - deltaSpend,
    queryHash: input.queryHash,
    txId: tx.txId,
  };
}

/** A study's state: for its organisation's researchers (public-health staff for PUBHLTH) and for the ethics role. */
export async function getStudy(tx: Tx, studyId: string): Promise<StudyRecord> {
  const study = await findStudy(tx, studyId);
  const { role, mspId } = tx.caller;
  if (!study || !(role === 'ethics' || (role === studyOwnerRole(study.purpose) && study.proposer.mspId === mspId))) {
    throw new DomainError('NOT_FOUND', 'study not found');
  }
  return study;
}
