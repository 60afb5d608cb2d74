import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@medledger/core';
import type { Role } from '@medledger/core';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const value = request.body;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new DomainError('INVALID_ARGUMENT', 'the body must be a JSON object');
  return value as Body;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function patientId(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^Patient\//, '') : '';
}

function requireAdmin(caller: Caller): void {
  if (caller.account.role !== 'admin')
    throw new DomainError('ACCESS_DENIED', 'only an administrator of the organisation may do this');
}

/** Medledger's non-FHIR operations: access requests, break-glass, reviews, accounts, network status. */
export function registerApiRoutes(
  app: FastifyInstance,
  medledger: Medledger,
  withCaller: (request: FastifyRequest) => Promise<Caller>,
): void {
  const tags = (tag: string, summary: string): { schema: { tags: string[]; summary: string } } => ({
    schema: { tags: [tag], summary },
  });
  const id = (request: FastifyRequest): string => (request.params as Record<string, string>).id ?? '';

  app.get('/api/whoami', tags('account', 'The signed-in account'), async (request) => {
    const { account, purpose } = await withCaller(request);
    return {
      username: account.username,
      displayName: account.displayName,
      organization: account.mspId,
      role: account.role,
      defaultPurpose: purpose,
      ...(account.patientId === undefined ? {} : { patient: `Patient/${account.patientId}` }),
      demo: account.demo,
    };
  });

  app.post(
    '/api/access-requests',
    tags('access', 'Ask a patient for access (clinician, insurer, researcher)'),
    async (request, reply) => {
      const caller = await withCaller(request);
      const input = body(request);
      const created = await medledger.access.requestAccess(caller, { ...input, patient: patientId(input.patient) });
      return reply.code(201).send(created);
    },
  );
  app.get('/api/access-requests', tags('access', "Requests to the patient, or the caller's own"), async (request) =>
    medledger.access.listRequests(await withCaller(request)),
  );
  app.post(
    '/api/access-requests/:id/approve',
    tags('access', 'The patient approves (optionally narrower)'),
    async (request) => medledger.access.respond(await withCaller(request), id(request), 'approve', body(request)),
  );
  app.post('/api/access-requests/:id/deny', tags('access', 'The patient denies'), async (request) =>
    medledger.access.respond(await withCaller(request), id(request), 'deny', body(request)),
  );

  app.get(
    '/api/shared-patients',
    tags('access', 'Patients whose active consent names the clinician or their organisation for treatment (ids only)'),
    async (request) => medledger.access.sharedPatients(await withCaller(request)),
  );

  app.post(
    '/api/break-glass',
    tags('emergency', 'Emergency access with a mandatory reason (clinicians)'),
    async (request, reply) => {
      const caller = await withCaller(request);
      const input = body(request);
      return reply
        .code(201)
        .send(await medledger.access.breakGlass(caller, { ...input, patient: patientId(input.patient) }));
    },
  );
  app.get(
    '/api/emergency-grants',
    tags('emergency', "Break-glass grants on the patient's own data (patients)"),
    async (request) => medledger.access.myEmergencyGrants(await withCaller(request)),
  );
  app.post(
    '/api/emergency-grants/:id/revoke',
    tags('emergency', 'The patient ends a break-glass grant on their data early (it is still reviewed)'),
    async (request) => medledger.access.revokeEmergency(await withCaller(request), id(request)),
  );
  app.get(
    '/api/emergency-reviews',
    tags('emergency', 'Pending break-glass reviews (privacy officers)'),
    async (request) => medledger.access.pendingReviews(await withCaller(request)),
  );
  app.post('/api/emergency-reviews/:id', tags('emergency', 'Review a break-glass access'), async (request) => {
    const input = body(request);
    return medledger.access.review(await withCaller(request), id(request), {
      ...input,
      patient: patientId(input.patient),
    });
  });

  app.get('/api/admin/users', tags('admin', "Accounts of the administrator's organisation"), async (request) => {
    const caller = await withCaller(request);
    requireAdmin(caller);
    return medledger.accounts.list(caller.account.mspId).map(({ passwordHash: _hash, ...account }) => account);
  });
  app.post(
    '/api/admin/users',
    tags('admin', 'Add a person to the organisation (enrolls an identity)'),
    async (request, reply) => {
      const caller = await withCaller(request);
      requireAdmin(caller);
      const input = body(request);
      const role = input.role as Role;
      const patient = role === 'patient' ? medledger.patients.entry(patientId(input.patient)) : undefined;
      if (role === 'patient' && patient === undefined) throw new DomainError('NOT_FOUND', 'patient is not known');
      const account = await medledger.accounts.create({
        username: text(input.username),
        displayName: text(input.displayName ?? input.username),
        mspId: caller.account.mspId,
        role,
        ...(input.kind === 'system' ? {} : { password: text(input.password) }),
        ...(patient === undefined ? {} : { patient }),
      });
      const { passwordHash: _hash, ...shown } = account;
      return reply.code(201).send(shown);
    },
  );
  app.post('/api/admin/users/:id/revoke', tags('admin', "Revoke an account's identity"), async (request) => {
    const caller = await withCaller(request);
    requireAdmin(caller);
    const target = medledger.accounts.get(id(request));
    if (target?.mspId !== caller.account.mspId) throw new DomainError('NOT_FOUND', 'account is not known');
    await medledger.accounts.revoke(target.username);
    return { username: target.username, status: 'revoked' };
  });

  app.get('/api/network', tags('admin', 'Organisations and block height'), async (request) => {
    await withCaller(request);
    return { organizations: medledger.network.organizations, blockHeight: await medledger.network.ledger.height() };
  });
  app.post(
    '/api/network/verify',
    tags('admin', 'Re-verify the chain and every record against its anchored hashes (administrators)'),
    async (request) => {
      requireAdmin(await withCaller(request));
      return medledger.integrity.verify();
    },
  );
}
