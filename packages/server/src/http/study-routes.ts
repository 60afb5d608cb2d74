import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@medledger/core';
import type { Medledger } from '../medledger.js';
import type { Caller } from '../services/caller.js';
import { parseAggregateQuery, studyServiceFor } from '../services/studies.js';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const value = request.body;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new DomainError('INVALID_ARGUMENT', 'the body must be a JSON object');
  return value as Body;
}

/**
 * Research studies and public-health programmes (docs/api.md "Research and public health"). Every decision is the
 * contract's; errors go through the app's single OperationOutcome mapping.
 */
export function registerStudyRoutes(
  app: FastifyInstance,
  medledger: Medledger,
  withCaller: (request: FastifyRequest) => Promise<Caller>,
): void {
  const studies = studyServiceFor(medledger);
  const tags = (summary: string): { schema: { tags: string[]; summary: string } } => ({
    schema: { tags: ['research'], summary },
  });
  const param = (request: FastifyRequest, name: string): string =>
    (request.params as Record<string, string>)[name] ?? '';

  app.post(
    '/api/studies',
    tags('Propose a study (researcher) or a PUBHLTH programme (public-health)'),
    async (request, reply) => reply.code(201).send(await studies.propose(await withCaller(request), body(request))),
  );
  app.get('/api/studies', tags('Studies the caller may see'), async (request) =>
    studies.list(await withCaller(request)),
  );
  app.get('/api/studies/:id', tags('One study with its remaining epsilon'), async (request) =>
    studies.get(await withCaller(request), param(request, 'id')),
  );
  app.post('/api/studies/:id/decision', tags('Approve or reject a study (ethics, not the proposer)'), async (request) =>
    studies.decide(await withCaller(request), param(request, 'id'), body(request).decision),
  );
  app.post('/api/studies/:id/cohort-size', tags('Differentially private cohort size'), async (request) =>
    studies.cohortSize(await withCaller(request), param(request, 'id'), body(request)),
  );
  app.post('/api/studies/:id/aggregates', tags('A DP count, histogram, sum or mean'), async (request) =>
    studies.aggregate(await withCaller(request), param(request, 'id'), parseAggregateQuery(body(request))),
  );
  app.post('/api/studies/:id/charts', tags('DP prevalence by month and region, age and BMI charts'), async (request) =>
    studies.charts(await withCaller(request), param(request, 'id'), body(request)),
  );
  app.post('/api/studies/:id/export', tags('De-identified export (NDJSON or CSV) with its report'), async (request) =>
    studies.export(await withCaller(request), param(request, 'id'), body(request)),
  );
  app.post(
    '/api/studies/:id/models',
    tags('Train the risk model on the de-identified cohort'),
    async (request, reply) =>
      reply.code(201).send(await studies.train(await withCaller(request), param(request, 'id'), body(request))),
  );
  app.get('/api/studies/:id/models', tags("A study's trained models"), async (request) =>
    studies.listModels(await withCaller(request), param(request, 'id')),
  );
  app.get('/api/studies/:id/models/:model', tags('One model with AUC, ROC and calibration'), async (request) =>
    studies.model(await withCaller(request), param(request, 'id'), param(request, 'model')),
  );
}
