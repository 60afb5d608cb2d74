export type { HistoryEntry, StateEntry, StateReader, TxTimestamp, Version, VersionedValue } from './state-reader.js';
export { compareKeys, inRange, sameVersion } from './state-reader.js';
export type {
  ChaincodeEvent,
  KeyModification,
  KeyRead,
  KeyWrite,
  PaginatedQueryResponse,
  QueryIterator,
  QueryIteratorResult,
  QueryKeyValue,
  QueryResponseMetadata,
  RangeQueryRead,
  SimulatedStub,
  SimulatedStubOptions,
  SimulationRecorder,
  SimulationResult,
  SplitCompositeKey,
} from './simulated-stub.js';
export {
  createCompositeKey,
  createSimulatedStub,
  isCompositeKey,
  splitCompositeKey,
  TimestampSeconds,
} from './simulated-stub.js';
export type { CommitInfo, ValidationCode } from './memory-state.js';
export { MemoryState, validateSimulation } from './memory-state.js';
export { dispatchTransaction } from './contract-dispatch.js';
