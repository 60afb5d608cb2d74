import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@medledger/core';
import type { BlockEvent } from '@medledger/ledger';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';

const MAX_BLOCKS = 50;

function requireAdmin(caller: Caller): void {
  if (caller.account.role !== 'admin')
    throw new DomainError('ACCESS_DENIED', 'only an administrator of the organisation may do this');
}

function blockLimit(value: unknown): number {
  if (value === undefined) return 10;
  const limit = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(limit) || limit < 1 || limit > MAX_BLOCKS)
    throw new DomainError('INVALID_ARGUMENT', `limit must be a whole number from 1 to ${MAX_BLOCKS}`);
  return limit;
}

/** The last `count` committed blocks (newest first), replayed from the ledger's block events. */
async function latestBlocks(medledger: Medledger, username: string, count: number): Promise<BlockEvent[]> {
  const height = await medledger.network.ledger.height();
  const start = Math.max(0, height - count);
  if (start >= height) return [];
  const client = await medledger.network.client(username);
  const stream = client.blockEvents({ startBlock: start });
  const blocks: BlockEvent[] = [];
  try {
    for await (const block of stream) {
      blocks.push(block);
      if (block.blockNumber >= height - 1) break;
    }
  } finally {
    stream.close();
  }
  return blocks.reverse();
}

/**
 * Small operations the web portals need beyond api-routes: the administrator's view of the latest blocks (numbers,
 * hashes and links, transaction names and outcomes — no payloads) and a password reset for the organisation's people.
 */
export function registerPortalRoutes(
  app: FastifyInstance,
  medledger: Medledger,
  withCaller: (request: FastifyRequest) => Promise<Caller>,
): void {
  app.get(
    '/api/network/blocks',
    { schema: { tags: ['admin'], summary: 'The latest blocks with their hash links (administrators)' } },
    async (request) => {
      const caller = await withCaller(request);
      requireAdmin(caller);
      const limit = blockLimit((request.query as Record<string, unknown>).limit);
      return { blocks: await latestBlocks(medledger, caller.account.username, limit) };
    },
  );

  app.post(
    '/api/admin/users/:id/password',
    { schema: { tags: ['admin'], summary: "Set a new password for a person of the administrator's organisation" } },
    async (request) => {
      const caller = await withCaller(request);
      requireAdmin(caller);
      const username = (request.params as Record<string, string>).id ?? '';
      const target = medledger.accounts.get(username);
      if (target?.mspId !== caller.account.mspId || target.kind !== 'person')
        throw new DomainError('NOT_FOUND', 'account is not known');
      // An administrator who could set a patient's password could log in as the patient and change their consents.
      if (target.role === 'patient') {
        throw new DomainError('ACCESS_DENIED', "an administrator does not set a patient's password");
      }
      const body = request.body as Record<string, unknown> | undefined;
      const password = typeof body?.password === 'string' ? body.password : '';
      await medledger.accounts.resetPassword(target.username, password);
      request.log.info(
        { admin: caller.account.username, account: target.username },
        'password reset by an administrator',
      );
      return { username: target.username, status: 'password-reset' };
    },
  );
}
