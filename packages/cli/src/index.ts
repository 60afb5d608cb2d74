export { main, VERSION } from './cli.js';
export type { CliDeps, OutputStream } from './io.js';
export { EXIT, CliError } from './errors.js';
export type { ExitCode } from './errors.js';
export { processDeps } from './process-deps.js';
export {
  emptySummary,
  planImport,
  transactionBundle,
  noteCreated,
  IMPORTED_TYPES,
  MAX_RECORDS_PER_TRANSACTION,
} from './fhir-import.js';
export type { ImportSummary, PatientPlan, PlannedEntry, SourceResource } from './fhir-import.js';
