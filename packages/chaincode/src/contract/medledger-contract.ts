import {
  canonicalJson,
  DomainError,
  isDomainError,
  parseAuthorizeAccess,
  parseAuthorizeCohort,
  parseBreakGlass,
  parseJsonObject,
  parseProposeStudy,
  PATTERNS,
  parseRegisterPatient,
  parseRegisterRecord,
  parseRegisterRecords,
  parseRequestAccess,
  parseRespondToAccessRequest,
  parseReviewEmergency,
  parseRevokeEmergency,
  toCodedMessage,
} from '@medledger/core';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { authorizeAccess, authorizeCohort } from './access.js';
import { listAccessRequests, requestAccess, respondToAccessRequest } from './access-requests.js';
import { migrateAuditIndexes, parseMigrateAuditIndexes } from './audit-migration.js';
import { getAuditTrail, parseAuditTrailQuery } from './audit-trail.js';
import {
  getConsentHistory,
  getMyConsents,
  listPatientsSharingWithMe,
  parseConsentId,
  putConsent,
  revokeConsent,
} from './consents.js';
import {
  breakGlass,
  getMyEmergencyGrants,
  listPendingEmergencyReviews,
  parseEmergencyPolicy,
  reviewEmergencyAccess,
  revokeEmergencyAccess,
  setEmergencyPolicy,
} from './emergency.js';
import { registerPatient, whoAmI } from './patients.js';
import { eraseRecord, getRecordMetadata, parseEraseRecord, registerRecord, registerRecords } from './records.js';
import {
  decideStudy,
  getStudy,
  parseDecideStudy,
  parseSpendBudget,
  proposeStudy,
  spendPrivacyBudget,
} from './studies.js';
import { Tx } from './tx.js';

/** Error messages cross the peer as text, so they carry the stable code: `[CODE] message`. */
function toChaincodeError(err: unknown): DomainError {
  if (isDomainError(err)) {
    return err.message.startsWith(`[${err.code}]`)
      ? err
      : new DomainError(err.code, toCodedMessage(err), { cause: err });
  }
  // An unexpected fault: report it without internals (no stack or state in the message).
  return new DomainError('INTERNAL', '[INTERNAL] unexpected chaincode error', { cause: err });
}

async function run(ctx: Context, work: (tx: Tx) => Promise<unknown>): Promise<string> {
  try {
    return canonicalJson(await work(new Tx(ctx)));
  } catch (err: unknown) {
    throw toChaincodeError(err);
  }
}

function parseIdArgument(text: string, member: string, pattern: RegExp, what: string): string {
  const input = parseJsonObject(text, what);
  const value = input[member];
  if (typeof value !== 'string' || !pattern.test(value) || Object.keys(input).length !== 1) {
    throw new DomainError('INVALID_ARGUMENT', `${what} must be {"${member}": "<id>"}`);
  }
  return value;
}

/**
 * The Medledger smart contract. Every transaction takes one JSON argument and returns canonical JSON. The caller is
 * always taken from the certificate (MSP id + `role` and `uid` attributes), never from arguments.
 */
@Info({ title: 'Medledger', description: 'Patient-controlled health-record exchange: consents, access, audit' })
export class MedledgerContract extends Contract {
  constructor() {
    super('medledger');
  }

  override async unknownTransaction(_ctx: Context): Promise<void> {
    // The transaction name is input and is not repeated: a client may have put anything there.
    await Promise.resolve();
    throw new DomainError('INVALID_ARGUMENT', '[INVALID_ARGUMENT] unknown transaction');
  }

  @Transaction()
  @Returns('string')
  async RegisterPatient(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => registerPatient(tx, parseRegisterPatient(input)));
  }

  @Transaction(false)
  @Returns('string')
  async WhoAmI(ctx: Context): Promise<string> {
    return run(ctx, (tx) => whoAmI(tx));
  }

  @Transaction()
  @Returns('string')
  async RegisterRecord(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => registerRecord(tx, parseRegisterRecord(input)));
  }

  /** RegisterRecord for 1–500 records in one transaction, all or nothing (e.g. a FHIR transaction Bundle). */
  @Transaction()
  @Returns('string')
  async RegisterRecords(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => registerRecords(tx, parseRegisterRecords(input)));
  }

  @Transaction(false)
  @Returns('string')
  async GetRecordMetadata(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) =>
      getRecordMetadata(tx, parseIdArgument(input, 'recordId', PATTERNS.recordId, 'GetRecordMetadata input')),
    );
  }

  @Transaction()
  @Returns('string')
  async EraseRecord(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => eraseRecord(tx, parseEraseRecord(input)));
  }

  @Transaction()
  @Returns('string')
  async PutConsent(ctx: Context, consent: string): Promise<string> {
    return run(ctx, (tx) => putConsent(tx, parseJsonObject(consent, 'Consent')));
  }

  @Transaction()
  @Returns('string')
  async RevokeConsent(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => revokeConsent(tx, parseConsentId(input)));
  }

  @Transaction(false)
  @Returns('string')
  async GetMyConsents(ctx: Context): Promise<string> {
    return run(ctx, (tx) => getMyConsents(tx));
  }

  @Transaction(false)
  @Returns('string')
  async GetConsentHistory(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => getConsentHistory(tx, parseConsentId(input)));
  }

  /** A clinician's patients whose active consent names them (or their organisation) for treatment. */
  @Transaction(false)
  @Returns('string')
  async ListPatientsSharingWithMe(ctx: Context): Promise<string> {
    return run(ctx, (tx) => listPatientsSharingWithMe(tx));
  }

  @Transaction()
  @Returns('string')
  async RequestAccess(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => requestAccess(tx, parseRequestAccess(input)));
  }

  @Transaction()
  @Returns('string')
  async RespondToAccessRequest(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => respondToAccessRequest(tx, parseRespondToAccessRequest(input)));
  }

  @Transaction(false)
  @Returns('string')
  async ListAccessRequests(ctx: Context): Promise<string> {
    return run(ctx, (tx) => listAccessRequests(tx));
  }

  @Transaction()
  @Returns('string')
  async BreakGlass(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => breakGlass(tx, parseBreakGlass(input)));
  }

  /** The patient ends a break-glass grant on their own data early. */
  @Transaction()
  @Returns('string')
  async RevokeEmergencyAccess(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => revokeEmergencyAccess(tx, parseRevokeEmergency(input)));
  }

  @Transaction(false)
  @Returns('string')
  async GetMyEmergencyGrants(ctx: Context): Promise<string> {
    return run(ctx, (tx) => getMyEmergencyGrants(tx));
  }

  @Transaction()
  @Returns('string')
  async ReviewEmergencyAccess(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => reviewEmergencyAccess(tx, parseReviewEmergency(input)));
  }

  @Transaction(false)
  @Returns('string')
  async ListPendingEmergencyReviews(ctx: Context): Promise<string> {
    return run(ctx, (tx) => listPendingEmergencyReviews(tx));
  }

  @Transaction()
  @Returns('string')
  async SetEmergencyPolicy(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => setEmergencyPolicy(tx, parseEmergencyPolicy(input)));
  }

  @Transaction()
  @Returns('string')
  async AuthorizeAccess(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => authorizeAccess(tx, parseAuthorizeAccess(input)));
  }

  @Transaction()
  @Returns('string')
  async AuthorizeCohort(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => authorizeCohort(tx, parseAuthorizeCohort(input)));
  }

  @Transaction(false)
  @Returns('string')
  async GetAuditTrail(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => getAuditTrail(tx, parseAuditTrailQuery(input)));
  }

  /**
   * An admin moves one page of audit events of a ledger written by an earlier contract version to the newest-first
   * indexes; evaluated, it only tells whether anything is left (see `migrateAuditIndexes`).
   */
  @Transaction()
  @Returns('string')
  async MigrateAuditIndexes(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => migrateAuditIndexes(tx, parseMigrateAuditIndexes(input)));
  }

  @Transaction()
  @Returns('string')
  async ProposeStudy(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => proposeStudy(tx, parseProposeStudy(input)));
  }

  @Transaction()
  @Returns('string')
  async DecideStudy(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => decideStudy(tx, parseDecideStudy(input)));
  }

  @Transaction()
  @Returns('string')
  async SpendPrivacyBudget(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => spendPrivacyBudget(tx, parseSpendBudget(input)));
  }

  @Transaction(false)
  @Returns('string')
  async GetStudy(ctx: Context, input: string): Promise<string> {
    return run(ctx, (tx) => getStudy(tx, parseIdArgument(input, 'studyId', PATTERNS.studyId, 'GetStudy input')));
  }
}
