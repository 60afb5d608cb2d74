import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DomainError,
  ERROR_CODES,
  ERROR_PRESENTATION,
  fromCodedMessage,
  isDomainError,
  isErrorCode,
  toCodedMessage,
} from './errors.js';
import type { ErrorCode } from './errors.js';

/** http://hl7.org/fhir/R4/valueset-issue-type.html */
const R4_ISSUE_TYPES = new Set([
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
]);

void describe('ERROR_CODES', () => {
  void it('has no duplicates', () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  });

  void it('uses upper-case codes that the wire format can carry', () => {
    for (const code of ERROR_CODES) assert.match(code, /^[A-Z][A-Z_]+$/);
  });
});

void describe('DomainError', () => {
  void it('is an Error with a name, a code and a message', () => {
    const error = new DomainError('NOT_FOUND', 'record r-1 not found');
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'DomainError');
    assert.equal(error.code, 'NOT_FOUND');
    assert.equal(error.message, 'record r-1 not found');
    assert.equal(error.details, undefined);
    assert.equal(error.cause, undefined);
  });

  void it('keeps a cause and details', () => {
    const cause = new SyntaxError('bad json');
    const error = new DomainError('INVALID_ARGUMENT', 'input is not valid JSON', {
      cause,
      details: { field: 'patientId' },
    });
    assert.equal(error.cause, cause);
    assert.deepEqual(error.details, { field: 'patientId' });
  });
});

void describe('isErrorCode and isDomainError', () => {
  void it('recognises exactly the stable codes', () => {
    for (const code of ERROR_CODES) assert.equal(isErrorCode(code), true, code);
    for (const value of ['not_found', 'NOPE', '', ' NOT_FOUND', 404, null, undefined])
      assert.equal(isErrorCode(value), false, String(value));
  });

  void it('recognises a DomainError instance', () => {
    assert.equal(isDomainError(new DomainError('CONFLICT', 'x')), true);
  });

  void it('recognises a DomainError from another module copy by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'DomainError', code: 'ACCESS_DENIED' });
    assert.equal(isDomainError(foreign), true);
  });

  void it('rejects other errors and values', () => {
    assert.equal(isDomainError(new Error('x')), false);
    assert.equal(isDomainError(Object.assign(new Error('x'), { name: 'DomainError', code: 'NOPE' })), false);
    assert.equal(isDomainError({ name: 'TypeError', code: 'NOT_FOUND' }), false);
    assert.equal(isDomainError(null), false);
    assert.equal(isDomainError('[NOT_FOUND] x'), false);
  });
});

void describe('toCodedMessage and fromCodedMessage', () => {
  void it('formats a DomainError as [CODE] message', () => {
    assert.equal(toCodedMessage(new DomainError('ACCESS_DENIED', 'not yours')), '[ACCESS_DENIED] not yours');
  });

  for (const code of ERROR_CODES) {
    void it(`round-trips ${code}`, () => {
      const original = new DomainError(code, `something about ${code.toLowerCase()} went wrong`);
      const recovered = fromCodedMessage(toCodedMessage(original));
      assert.ok(recovered instanceof DomainError);
      assert.equal(recovered.code, original.code);
      assert.equal(recovered.message, original.message);
    });
  }

  void it('round-trips a message that spans lines and contains brackets', () => {
    const original = new DomainError('INVALID_ARGUMENT', 'Consent.provision[0].purpose[1] is malformed\nsee [docs]');
    const recovered = fromCodedMessage(toCodedMessage(original));
    assert.equal(recovered.code, 'INVALID_ARGUMENT');
    assert.equal(recovered.message, original.message);
  });

  void it('round-trips an empty message', () => {
    const recovered = fromCodedMessage(toCodedMessage(new DomainError('INTERNAL', '')));
    assert.equal(recovered.code, 'INTERNAL');
    assert.equal(recovered.message, '');
  });

  void it('finds the code inside text a peer or gateway wrapped around it', () => {
    const wrapped = 'transaction returned with failure: Error: [CONSENT_NOT_ACTIVE] consent c-1 is inactive';
    const recovered = fromCodedMessage(wrapped);
    assert.equal(recovered.code, 'CONSENT_NOT_ACTIVE');
    assert.equal(recovered.message, 'consent c-1 is inactive');
  });

  void it('falls back to INTERNAL, keeping the text, when there is no known code', () => {
    for (const text of ['connection reset', '[NOT_A_CODE] hello', '[not_found] lower case']) {
      const recovered = fromCodedMessage(text);
      assert.equal(recovered.code, 'INTERNAL', text);
      assert.equal(recovered.message, text);
    }
  });

  void it('uses the given fallback code', () => {
    const recovered = fromCodedMessage('14 UNAVAILABLE: No connection established', 'LEDGER_UNAVAILABLE');
    assert.equal(recovered.code, 'LEDGER_UNAVAILABLE');
    assert.equal(recovered.message, '14 UNAVAILABLE: No connection established');
  });
});

void describe('ERROR_PRESENTATION', () => {
  void it('has a presentation for every error code and for nothing else', () => {
    assert.deepEqual(Object.keys(ERROR_PRESENTATION).sort(), [...ERROR_CODES].sort());
  });

  for (const code of ERROR_CODES) {
    void it(`presents ${code} as an HTTP error status with an R4 issue type`, () => {
      const presentation = ERROR_PRESENTATION[code];
      assert.ok(
        Number.isInteger(presentation.httpStatus) && presentation.httpStatus >= 400 && presentation.httpStatus <= 599,
        String(presentation.httpStatus),
      );
      assert.ok(R4_ISSUE_TYPES.has(presentation.fhirIssueCode), presentation.fhirIssueCode);
    });
  }

  void it('maps the codes whose status the API contract fixes', () => {
    const expected: [ErrorCode, number, string][] = [
      ['INVALID_ARGUMENT', 400, 'invalid'],
      ['UNPROCESSABLE', 422, 'processing'], // FHIR-CONVENTIONS §1: modifierExtension → 422
      ['UNAUTHENTICATED', 401, 'login'],
      ['NOT_FOUND', 404, 'not-found'],
      ['INTERNAL', 500, 'exception'],
    ];
    for (const [code, httpStatus, fhirIssueCode] of expected) {
      assert.deepEqual(ERROR_PRESENTATION[code], { httpStatus, fhirIssueCode }, code);
    }
  });

  void it('answers client mistakes with 4xx and system failures with 5xx', () => {
    for (const code of [
      'INVALID_ARGUMENT',
      'UNPROCESSABLE',
      'ACCESS_DENIED',
      'ALREADY_EXISTS',
      'CONFLICT',
      'BUDGET_EXHAUSTED',
    ] as const) {
      assert.ok(ERROR_PRESENTATION[code].httpStatus < 500, code);
    }
    for (const code of ['ENDORSEMENT_FAILURE', 'LEDGER_UNAVAILABLE', 'INTERNAL'] as const) {
      assert.ok(ERROR_PRESENTATION[code].httpStatus >= 500, code);
    }
  });
});
