import { DomainError } from '@medledger/core';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { twoSidedP, Z_975 } from './normal.js';

export interface LogisticOptions {
  /** Names of the predictors (columns of X), for the report; default x1, x2, … */
  readonly names?: readonly string[];
  readonly maxIterations?: number;
  /** Convergence: the largest change of any coefficient in a Newton step. */
  readonly tolerance?: number;
  /**
   * L2 (ridge) penalty λ ≥ 0 on the predictors' coefficients (not the intercept), default 0: maximises
   * log L − λ/2·Σβⱼ². Any λ > 0 keeps the estimate finite under separation (small cohorts); standard errors then come
   * from the penalised information and are approximate.
   */
  readonly ridge?: number;
}

export interface Coefficient {
  readonly name: string;
  readonly estimate: number;
  readonly standardError: number;
  readonly z: number;
  readonly pValue: number;
  readonly oddsRatio: number;
  /** 95% Wald interval of the odds ratio: exp(β ± 1.96·SE). */
  readonly oddsRatioCi95: readonly [number, number];
}

export interface LogisticModel {
  /** The intercept first, then one per predictor. */
  readonly coefficients: readonly Coefficient[];
  readonly n: number;
  readonly events: number;
  readonly iterations: number;
  readonly logLikelihood: number;
}

const INTERCEPT = '(intercept)';

function sigmoid(eta: number): number {
  // Both branches avoid overflow of exp for large |eta|.
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

function validate(x: readonly (readonly number[])[], y: readonly number[]): number {
  if (x.length === 0 || x.length !== y.length) {
    throw new DomainError('INVALID_ARGUMENT', 'logistic regression needs one outcome per row and at least one row');
  }
  const p = x[0]?.length ?? 0;
  for (const [i, row] of x.entries()) {
    if (row.length !== p || !row.every(Number.isFinite)) {
      throw new DomainError('INVALID_ARGUMENT', `row ${i} must have ${p} finite predictors`);
    }
    if (y[i] !== 0 && y[i] !== 1) throw new DomainError('INVALID_ARGUMENT', `outcome ${i} must be 0 or 1`);
  }
  if (x.length <= p + 1) throw new DomainError('INVALID_ARGUMENT', 'more rows than coefficients are needed');
  return p;
}

/** The design matrix with a leading column of ones. */
function design(x: readonly (readonly number[])[]): Matrix {
  return new Matrix(x.map((row) => [1, ...row]));
}

interface Step {
  readonly hessian: Matrix;
  readonly gradient: Matrix;
  readonly logLikelihood: number;
}

/** Gradient Xᵀ(y − p) and information XᵀWX at beta, without forming the n×n weight matrix. */
function newtonStep(design: Matrix, y: readonly number[], beta: Matrix): Step {
  const eta = design.mmul(beta);
  const weighted = design.clone();
  const residual = new Matrix(design.rows, 1);
  let logLikelihood = 0;
  for (let i = 0; i < design.rows; i++) {
    const e = eta.get(i, 0);
    const p = sigmoid(e);
    const yi = y[i] ?? 0;
    residual.set(i, 0, yi - p);
    // log p = −log(1+e^−η), log(1−p) = −log(1+e^η), computed stably.
    logLikelihood -=
      yi === 1
        ? Math.log1p(Math.exp(-Math.abs(e))) + Math.max(-e, 0)
        : Math.log1p(Math.exp(-Math.abs(e))) + Math.max(e, 0);
    weighted.mulRow(i, p * (1 - p));
  }
  const transposed = design.transpose();
  const information = transposed.mmul(weighted);
  // XᵀWX is symmetric in exact arithmetic; rounding is not, and ml-matrix's Cholesky insists.
  const hessian = information.add(information.transpose()).mul(0.5);
  return { hessian, gradient: transposed.mmul(residual), logLikelihood };
}

function solve(hessian: Matrix, gradient: Matrix): { delta: Matrix; cholesky: CholeskyDecomposition } {
  const cholesky = new CholeskyDecomposition(hessian);
  if (!cholesky.isPositiveDefinite()) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      'the information matrix is singular: a predictor is constant or collinear, or the outcome is separated',
    );
  }
  return { delta: cholesky.solve(gradient), cholesky };
}

function report(names: readonly string[], beta: Matrix, covariance: Matrix): Coefficient[] {
  return names.map((name, j) => {
    const estimate = beta.get(j, 0);
    const standardError = Math.sqrt(covariance.get(j, j));
    const z = estimate / standardError;
    return {
      name,
      estimate,
      standardError,
      z,
      pValue: twoSidedP(z),
      oddsRatio: Math.exp(estimate),
      oddsRatioCi95: [Math.exp(estimate - Z_975 * standardError), Math.exp(estimate + Z_975 * standardError)],
    };
  });
}

/** Adds the ridge penalty to a Newton step: H + λD and g − λDβ, D = diag(0, 1, …, 1). */
function penalize(step: Step, beta: Matrix, ridge: number): Step {
  if (ridge === 0) return step;
  const hessian = step.hessian.clone();
  const gradient = step.gradient.clone();
  for (let j = 1; j < beta.rows; j++) {
    hessian.set(j, j, hessian.get(j, j) + ridge);
    gradient.set(j, 0, gradient.get(j, 0) - ridge * beta.get(j, 0));
  }
  return { ...step, hessian, gradient };
}

/**
 * Maximum-likelihood logistic regression with an intercept, fitted by Newton–Raphson (equivalently IRLS) on
 * ml-matrix. Standard errors come from the inverse of the observed information XᵀWX at the estimate; odds-ratio
 * intervals are Wald intervals.
 * @param x - one row of predictors per observation (no intercept column; it is added)
 * @param y - outcomes, 0 or 1
 * @throws DomainError INVALID_ARGUMENT for malformed input, a singular design, separation, or no convergence
 */
export function fitLogisticRegression(
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: LogisticOptions = {},
): LogisticModel {
  const p = validate(x, y);
  const names = [INTERCEPT, ...(options.names ?? Array.from({ length: p }, (_, j) => `x${j + 1}`))];
  if (names.length !== p + 1) throw new DomainError('INVALID_ARGUMENT', `names must list ${p} predictors`);
  const maxIterations = options.maxIterations ?? 50;
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0 && Number.isFinite(ridge))) throw new DomainError('INVALID_ARGUMENT', 'ridge must be ≥ 0');
  const tolerance = options.tolerance ?? 1e-10;
  const X = design(x);
  let beta = new Matrix(p + 1, 1);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const step = penalize(newtonStep(X, y, beta), beta, ridge);
    const { delta } = solve(step.hessian, step.gradient);
    beta = beta.add(delta);
    if (Math.max(...delta.to1DArray().map(Math.abs)) <= tolerance) {
      const final = penalize(newtonStep(X, y, beta), beta, ridge);
      const { cholesky } = solve(final.hessian, final.gradient);
      const covariance = cholesky.solve(Matrix.eye(p + 1));
      return {
        coefficients: report(names, beta, covariance),
        n: x.length,
        events: y.filter((v) => v === 1).length,
        iterations: iteration,
        logLikelihood: final.logLikelihood,
      };
    }
  }
  throw new DomainError('INVALID_ARGUMENT', `no convergence in ${maxIterations} iterations (separated data?)`);
}

/** The fitted probability for one row of predictors. */
export function predictProbability(model: LogisticModel, row: readonly number[]): number {
  if (row.length !== model.coefficients.length - 1) {
    throw new DomainError('INVALID_ARGUMENT', `expected ${model.coefficients.length - 1} predictors`);
  }
  const eta = model.coefficients.reduce((sum, c, j) => sum + c.estimate * (j === 0 ? 1 : (row[j - 1] ?? 0)), 0);
  return sigmoid(eta);
}

/**
 * The area under the ROC curve: the probability that a random positive scores above a random negative (ties count
 * one half), computed from ranks (Mann–Whitney U).
 * @throws DomainError INVALID_ARGUMENT unless both classes are present
 */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  if (scores.length !== labels.length) throw new DomainError('INVALID_ARGUMENT', 'one label per score');
  const order = scores.map((score, i) => ({ score, positive: labels[i] === 1 })).sort((a, b) => a.score - b.score);
  let rankSumPositive = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]?.score === order[i]?.score) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 … j share their mean
    for (let k = i; k < j; k++) {
      if (order[k]?.positive === true) {
        rankSumPositive += averageRank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) throw new DomainError('INVALID_ARGUMENT', 'AUC needs both outcomes');
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}
