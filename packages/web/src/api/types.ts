/** Shapes of Medledger's `/api` answers that the portals use (see docs/api.md). */

export type Role =
  'patient' | 'clinician' | 'insurer' | 'researcher' | 'ethics' | 'public-health' | 'privacy-officer' | 'admin';

export interface Whoami {
  readonly username: string;
  readonly displayName: string;
  readonly organization: string;
  readonly role: Role;
  readonly defaultPurpose?: string;
  /** `Patient/{id}` for a patient. */
  readonly patient?: string;
  readonly demo?: boolean;
}

export interface CallerIdentity {
  readonly mspId: string;
  readonly uid: string;
  readonly role: Role;
}

export interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}

export interface AccessRequest {
  readonly id: string;
  readonly patientId: string;
  readonly requester: CallerIdentity;
  readonly purpose: string;
  readonly action: string;
  readonly resourceTypes: readonly string[];
  readonly sensitiveLabels: readonly Coding[];
  readonly periodEnd?: string;
  readonly reasonCode: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly consentId?: string;
}

/** A patient whose active consent names the clinician (or their organisation) for treatment. */
export interface SharedPatient {
  readonly patientId: string;
  readonly consentId: string;
}

export interface EmergencyGrant {
  readonly id: string;
  readonly patientId: string;
  readonly clinician: CallerIdentity;
  readonly reasonCode: string;
  readonly reason?: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly review: string;
  /** Set when the patient ended the grant before it expired. */
  readonly endedAt?: string;
  readonly endReason?: string;
}

export interface Account {
  readonly username: string;
  readonly displayName: string;
  readonly mspId: string;
  readonly role: Role;
  readonly status: string;
  readonly kind?: string;
}

export interface NetworkStatus {
  readonly organizations: readonly unknown[];
  readonly blockHeight: number;
}

/** A study or public-health programme as `/api/studies` shows it (docs/api.md "Research and public health"). */
export interface Study {
  readonly id: string;
  readonly proposer: CallerIdentity;
  readonly purpose: string;
  readonly resourceTypes: readonly string[];
  readonly protocolHash: string;
  readonly epsilonBudgetMicro: number;
  readonly epsilonSpentMicro: number;
  readonly epsilonRemaining: number;
  readonly status: 'proposed' | 'approved' | 'rejected' | (string & {});
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly createdAt: string;
}

/** One differentially private release. */
export interface DpRelease<T> {
  readonly value: T;
  readonly mechanism: string;
  readonly epsilon: number;
  readonly delta?: number;
}

/** Chart data from `POST /api/studies/{id}/charts` (the analytics package's `Chart` shapes). */
export interface LineChartData {
  readonly kind: 'line';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<{ x: string; y: number }> }>;
}

export interface BarChartData {
  readonly kind: 'bar';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly bars: ReadonlyArray<{ readonly label: string; readonly value: number }>;
}

export interface CurveChartData {
  readonly kind: 'roc' | 'calibration';
  readonly title: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  readonly auc?: number;
}

export type ChartData = LineChartData | BarChartData | CurveChartData;

export interface DeidentificationReport {
  readonly method: string;
  readonly patients: { readonly input: number; readonly exported: number; readonly suppressed: number };
  readonly records: { readonly input: number; readonly exported: number; readonly suppressed: number };
  readonly kAnonymity: {
    readonly k: number;
    readonly quasiIdentifiers: readonly string[];
    readonly equivalenceClasses: number;
    readonly suppressedClasses: number;
    readonly suppressedPatients: number;
    readonly kAchieved: number | null;
  };
}

export interface StudyExport {
  readonly format: 'ndjson' | 'csv';
  readonly report: DeidentificationReport;
  readonly contentType: string;
  readonly data: string;
}

export interface RiskModel {
  readonly id: string;
  readonly createdAt: string;
  readonly outcome: string;
  readonly predictors: readonly string[];
  readonly train: { readonly n: number; readonly events: number };
  readonly test: { readonly n: number; readonly events: number };
  readonly auc: number;
  readonly roc: ReadonlyArray<{ readonly threshold: number; readonly fpr: number; readonly tpr: number }>;
  readonly calibration: ReadonlyArray<{
    readonly bin: number;
    readonly n: number;
    readonly meanPredicted: number;
    readonly observedRate: number;
  }>;
  readonly model: {
    readonly coefficients: ReadonlyArray<{
      readonly name: string;
      readonly estimate: number;
      readonly oddsRatio: number;
      readonly oddsRatioCi95: readonly [number, number];
      readonly pValue: number;
    }>;
  };
}
