export { loadConfig } from './config.js';
export type { ServerConfig } from './config.js';
export { Medledger } from './medledger.js';
export type { Logger, OpenOptions } from './medledger.js';
export { createApp } from './http/app.js';
export { provisionDemo, DEMO_PASSWORD, DEMO_STAFF } from './demo.js';
export { startServer } from './start.js';
export type { IntegrityReport, RecordProblem } from './services/integrity.js';
