export { createVault, EnvelopeVault } from './vault.js';
// vault-types.ts holds the vault's public types, and only those: all of them are exported.
export type * from './vault-types.js';
export { isIntegrityError } from './vault-input.js';
export { decodeKek, generateKek } from './key-ring.js';
export type { KeyEncryptionKey, KeyRing } from './key-ring.js';
export { vaultOptionsFromEnv } from './config.js';
export type { VaultStore } from './store/vault-store.js';
export { SqliteVaultStore } from './store/sqlite-vault-store.js';
export { PostgresVaultStore } from './store/postgres-vault-store.js';
