import type { FastifyInstance } from 'fastify';
import { isDomainError } from '@medledger/core';
import { loadConfig } from './config.js';
import type { ServerConfig } from './config.js';
import { provisionDemo, DEMO_PASSWORD } from './demo.js';
import { createApp } from './http/app.js';
import { loadFhirDefinitions } from './fhir/validation.js';
import { Medledger } from './medledger.js';

/** Opens everything, provisions the demo when configured, and listens. Returns a stop function. */
export async function startServer(config: ServerConfig): Promise<{ app: FastifyInstance; stop: () => Promise<void> }> {
  const logger = {
    level: config.logLevel,
    // Query strings can hold search values (a name, a birth date): logs keep the method and path only.
    serializers: {
      req: (request: { method: string; url: string; ip?: string }) => ({
        method: request.method,
        path: request.url.split('?')[0],
        remoteAddress: request.ip,
      }),
    },
  };
  loadFhirDefinitions();
  const bootLog = (await import('pino')).default(logger);
  const medledger = await Medledger.open(config, { log: bootLog });
  if (config.demo && (await provisionDemo(medledger))) {
    bootLog.warn(
      { password: DEMO_PASSWORD },
      'DEMO accounts created (alice, bob, dr.grey, dr.house, po.hospa, …); never use them in production',
    );
  }
  const app = await createApp(medledger, { logger });
  await app.listen({ host: config.host, port: config.port });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await app.close();
      await medledger.close();
    })());
  return { app, stop };
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`medledger: ${isDomainError(error) ? error.message : String(error)}\n`);
    process.exit(2);
  }
  try {
    const { stop } = await startServer(config);
    const shutdown = (signal: string): void => {
      process.stderr.write(`medledger: ${signal}, stopping\n`);
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => {
      shutdown('SIGINT');
    });
    process.once('SIGTERM', () => {
      shutdown('SIGTERM');
    });
  } catch (error) {
    process.stderr.write(`medledger: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
