import { main } from './cli.js';
import { processDeps } from './process-deps.js';

// The `medledger` process (bin/medledger.mjs starts it): run, then exit with the command's code. `start` keeps
// running until SIGINT/SIGTERM; everything else ends here even if a library left a handle open.
void main(process.argv.slice(2), processDeps()).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, but do not wait for a handle a library left open (keep-alive sockets, timers).
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`medledger: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
