export type {
  BlockEvent,
  BlockTransactionSummary,
  ChainTip,
  ChaincodeEvent,
  CloseableAsyncIterable,
  CommittedTransaction,
  ConnectOptions,
  EventStreamOptions,
  Ledger,
  LedgerClient,
  SigningIdentity,
  SubmitResult,
  ValidationCode,
  VerifyReport,
} from './ledger-client.js';
export { TX_ID_PATTERN } from './ledger-client.js';
export { EmbeddedLedger, ORDERER_MSP } from './embedded/embedded-ledger.js';
export type { EmbeddedLedgerOptions } from './embedded/embedded-ledger.js';
export type { BatchOptions } from './embedded/block-cutter.js';
export type { EndorsementPolicy } from './embedded/block.js';
export * from './identity/index.js';
