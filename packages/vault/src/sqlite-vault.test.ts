import { describeVaultBehaviour } from './testing/vault-behaviour.js';
import { createSqliteBackend } from './testing/backends.js';

describeVaultBehaviour('SQLite', createSqliteBackend);
