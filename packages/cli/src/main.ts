import { main } from './cli.js';
import { processDeps } from './process-deps.js';

// The `medledger` process (bin/medledger.mjs starts it): run, then exit with the command's code. `start` keeps
// running until SIGINT/SIGTERM; everything else ends here even if a library left a handle open.
// `medledger … | head`: the reader went away; stop quietly, as Unix tools do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

let settled = false;
// The event loop ran dry while the command was still waiting (a worker died, a promise nobody resolves): that is a
// failure, never the silent exit 0 Node would report.
process.once('beforeExit', () => {
  if (!settled) {
    process.stderr.write('medledger: stopped before the command finished (an internal task never completed)\n');
    process.exit(1);
  }
});
void main(process.argv.slice(2), processDeps()).then(
  (code) => {
    settled = true;
    process.exitCode = code;
    // Let stdout drain, but do not wait for a handle a library left open (keep-alive sockets, timers).
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    settled = true;
    process.stderr.write(`medledger: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
