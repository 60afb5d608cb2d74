import { SYSTEMS } from '@medledger/core';
import type { AuditKind, AuditRecord } from '@medledger/core';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const RI = 'http://hl7.org/fhir/restful-interaction';
const AE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const ISO = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const BALP_ENTITY = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

interface EventShape {
  readonly type: { system: string; code: string; display?: string };
  readonly subtype?: { system: string; code: string };
  readonly action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const SHAPES: Readonly<Record<AuditKind, EventShape>> = {
  read: { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'read' }, action: 'R' },
  search: { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'search-type' }, action: 'E' },
  'access-denied': {
    type: { system: DCM, code: '110113', display: 'Security Alert' },
    subtype: { system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType', code: 'AuthZ-Consent' },
    action: 'E',
  },
  'break-glass-start': {
    type: { system: DCM, code: '110113', display: 'Security Alert' },
    subtype: { system: ISO, code: 'access' },
    action: 'E',
  },
  'break-glass-end': {
    type: { system: DCM, code: '110113', display: 'Security Alert' },
    subtype: { system: DCM, code: '110128' },
    action: 'E',
  },
  'emergency-review': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'update' }, action: 'U' },
  'consent-create': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'create' }, action: 'C' },
  'consent-update': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'update' }, action: 'U' },
  'access-request': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'create' }, action: 'C' },
  'access-response': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'update' }, action: 'U' },
  'record-create': { type: { system: AE, code: 'rest' }, subtype: { system: RI, code: 'create' }, action: 'C' },
  'record-erase': { type: { system: AE, code: 'rest' }, subtype: { system: ISO, code: 'destroy' }, action: 'D' },
  'research-use': { type: { system: AE, code: 'rest' }, subtype: { system: ISO, code: 'use' }, action: 'E' },
  'public-health-use': { type: { system: AE, code: 'rest' }, subtype: { system: ISO, code: 'disclose' }, action: 'E' },
};

function purposeConcept(purpose: string | undefined): Array<{ coding: Array<{ system: string; code: string }> }> {
  return purpose === undefined ? [] : [{ coding: [{ system: SYSTEMS.actReason, code: purpose }] }];
}

/** Renders the ledger's compact audit record as an R4 AuditEvent (FHIR-CONVENTIONS §3). References only: no PHI. */
export function toFhirAuditEvent(event: AuditRecord, channel: string): Record<string, unknown> {
  const shape = SHAPES[event.kind];
  const entities: Array<Record<string, unknown>> = [
    {
      what: { reference: `Patient/${event.patientId}` },
      type: { system: ENTITY_TYPE, code: '1' },
      role: { system: OBJECT_ROLE, code: '1' },
    },
    ...event.records.map((record) => ({
      what: { reference: record.reference },
      type: { system: ENTITY_TYPE, code: '2' },
      role: { system: OBJECT_ROLE, code: '4' },
      ...(record.securityLabels.length === 0 ? {} : { securityLabel: record.securityLabels }),
    })),
    ...event.consents.map((consent) => ({
      what: { reference: consent.includes('/') ? consent : `Consent/${consent}` },
      type: { system: SYSTEMS.resourceTypes, code: 'Consent' },
    })),
  ];
  if (event.requestId !== undefined) {
    entities.push({
      type: { system: BALP_ENTITY, code: 'XrequestId' },
      what: { identifier: { value: event.requestId } },
      detail: [{ type: 'fabric-tx-id', valueString: event.txId }],
    });
  } else {
    entities.push({
      type: { system: BALP_ENTITY, code: 'XrequestId' },
      detail: [{ type: 'fabric-tx-id', valueString: event.txId }],
    });
  }
  if (event.grantId !== undefined) {
    entities.push({
      what: { identifier: { system: 'urn:medledger:emergency-grant', value: event.grantId } },
      detail: [{ type: 'emergency-grant', valueString: event.grantId }],
    });
  }
  if (event.studyId !== undefined) {
    entities.push({
      what: { identifier: { system: 'urn:medledger:study', value: event.studyId } },
      description: event.outcome === '8' ? `not used in study ${event.studyId}` : `used in study ${event.studyId}`,
      detail: [{ type: 'study', valueString: event.studyId }],
    });
  }
  if (event.accessRequestId !== undefined) {
    entities.push({
      what: { identifier: { system: 'urn:medledger:access-request', value: event.accessRequestId } },
      detail: [{ type: 'access-request', valueString: event.accessRequestId }],
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: event.id,
    meta: { tag: [{ system: 'https://medledger.example.org/fhir/CodeSystem/audit-kind', code: event.kind }] },
    type: shape.type,
    ...(shape.subtype === undefined ? {} : { subtype: [shape.subtype] }),
    action: shape.action,
    recorded: event.recorded,
    outcome: event.outcome,
    ...(event.outcomeDesc === undefined ? {} : { outcomeDesc: event.outcomeDesc }),
    purposeOfEvent: purposeConcept(event.purpose),
    agent: [
      {
        type: { coding: [{ system: SYSTEMS.participationType, code: 'IRCP' }] },
        who: { reference: event.agent.reference },
        requestor: true,
        role: [{ coding: [{ system: SYSTEMS.role, code: event.agent.role }] }],
        ...(event.purpose === undefined ? {} : { purposeOfUse: purposeConcept(event.purpose) }),
      },
      {
        who: { reference: `Organization/${event.agent.mspId}` },
        requestor: false,
        type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
      },
    ],
    source: {
      site: channel,
      observer: { reference: 'Device/medledger-chaincode' },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: event.kind === 'access-denied' ? '6' : '4',
        },
      ],
    },
    entity: entities,
  };
}
