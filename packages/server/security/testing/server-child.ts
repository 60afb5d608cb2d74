/**
 * A real Medledger server process for the fault tests: the product's own pino request logging (as `npm start`),
 * the HTTP app on a loopback port chosen by the OS (port 0), demo accounts on first start. Prints
 * `MEDLEDGER-LISTENING <port>` once it serves. Cheap key derivation (unsafeFastKdf) keeps restarts quick.
 * Usage: server-child.ts <dataDir>
 */
import { loadConfig } from '../../src/config.js';
import { provisionDemo } from '../../src/demo.js';
import { createApp } from '../../src/http/app.js';
import { loadFhirDefinitions } from '../../src/fhir/validation.js';
import { Medledger } from '../../src/medledger.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (dataDir === undefined) throw new Error('usage: server-child.ts <dataDir>');
  const config = loadConfig({
    MEDLEDGER_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    MEDLEDGER_PUBLIC_URL: 'http://medledger.test',
    MEDLEDGER_TOKEN_RATE_LIMIT: '100000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  });
  // The same logger options as start.ts: method and path only, never query strings, bodies or headers.
  const logger = {
    level: config.logLevel,
    serializers: {
      req: (request: { method: string; url: string }) => ({ method: request.method, path: request.url.split('?')[0] }),
    },
  };
  loadFhirDefinitions();
  const log = (await import('pino')).default(logger);
  const medledger = await Medledger.open(config, { log, unsafeFastKdf: true });
  await provisionDemo(medledger);
  const app = await createApp(medledger, { logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`MEDLEDGER-LISTENING ${port}\n`);
  const stop = (): void => {
    void app
      .close()
      .then(() => medledger.close())
      .then(() => process.exit(0));
  };
  // The soak's leak probe (started with --expose-gc): the live memory after a full collection, which, unlike the
  // resident set, does not depend on when V8 and malloc hand pages back to the system.
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    const usage = process.memoryUsage();
    const live = {
      collected: collect !== undefined,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      external: usage.external,
      rss: usage.rss,
    };
    process.stdout.write(`MEDLEDGER-MEMORY ${JSON.stringify(live)}\n`);
  });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`server-child failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
