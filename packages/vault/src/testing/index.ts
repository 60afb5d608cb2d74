// Test support other packages may use (through the `@medledger/vault/testing` export, source condition only).
export { postgresSuitesSkipped, startPostgresServer } from './postgres-server.js';
export type { PostgresServer } from './postgres-server.js';
