import { RECORD_TYPES } from '../fhir/resource-facts.js';

const RECORD_SEARCH = ['_id', 'patient', 'subject', 'category', 'code', 'date', '_lastUpdated', '_count', '_offset'];

/** The CapabilityStatement: what this server really does, generated from the same tables the handlers use. */
export function capabilityStatement(
  baseUrl: string,
  software: { name: string; version: string },
): Record<string, unknown> {
  const searchParams = (names: readonly string[]): Array<{ name: string; type: string }> =>
    names.map((name) => ({
      name,
      type:
        name.includes('date') || name === '_lastUpdated'
          ? 'date'
          : name === '_count' || name === '_offset'
            ? 'number'
            : name === 'patient' || name === 'subject'
              ? 'reference'
              : 'token',
    }));
  const interactions = (codes: readonly string[]): Array<{ code: string }> => codes.map((code) => ({ code }));
  const resources = [
    ...Object.keys(RECORD_TYPES).map((type) => ({
      type,
      interaction: interactions(['read', 'search-type', 'create', 'update', 'delete']),
      versioning: 'versioned',
      updateCreate: false,
      searchParam: searchParams(RECORD_SEARCH),
    })),
    {
      type: 'Patient',
      interaction: interactions(['read', 'search-type', 'create', 'update']),
      searchParam: searchParams(['_id', 'name', 'family', 'given', 'birthdate', 'identifier', '_count', '_offset']),
      operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }],
    },
    {
      type: 'Consent',
      interaction: interactions(['read', 'search-type', 'create', 'update', 'delete', 'history-instance']),
      searchParam: searchParams(['_id']),
    },
    {
      type: 'AuditEvent',
      interaction: interactions(['read', 'search-type']),
      searchParam: searchParams(['_id', 'patient', '_lastUpdated']),
    },
    ...['Organization', 'Practitioner', 'PractitionerRole'].map((type) => ({
      type,
      interaction: interactions(['read', 'search-type']),
      searchParam: searchParams(['_id']),
    })),
  ];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-25',
    kind: 'instance',
    software,
    implementation: { description: 'Medledger FHIR R4 API', url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' },
              ],
            },
          ],
          description: 'OAuth2 bearer tokens from /auth/token (password or SMART Backend Services client_credentials).',
        },
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}
