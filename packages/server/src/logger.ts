/** What the services log through: pino in the server, an in-memory log in tests. Never PHI, never secrets. */
export interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}
