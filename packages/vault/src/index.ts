export { createVault, EnvelopeVault } from './vault.js';
export type {
  AnchoredHashes,
  ErasedVersion,
  ErasureReceipt,
  FhirResource,
  IntegrityCheck,
  IntegrityFailureEvent,
  KekUsage,
  PutRecordInput,
  PutRecordResult,
  RecordCursor,
  RecordSummary,
  RotationResult,
  StorageKind,
  Vault,
  VaultOptions,
  VaultRecord,
  VerifyResult,
} from './vault-types.js';
export { isIntegrityError } from './vault-input.js';
export { decodeKek, generateKek } from './key-ring.js';
export type { KeyEncryptionKey, KeyRing } from './key-ring.js';
export { vaultOptionsFromEnv } from './config.js';
export type { VaultStore } from './store/vault-store.js';
export { SqliteVaultStore } from './store/sqlite-vault-store.js';
export { PostgresVaultStore } from './store/postgres-vault-store.js';
