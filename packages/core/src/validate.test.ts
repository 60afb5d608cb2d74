import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DomainError } from './errors.js';
import { hasDuplicateKeys, hasNonCanonicalNumbers, onlyKnownKeys, parseJsonObject, PATTERNS } from './validate.js';

function assertInvalid(fn: () => unknown, message?: RegExp): DomainError {
  let caught: DomainError | undefined;
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_ARGUMENT', error.message);
    if (message) assert.match(error.message, message);
    caught = error;
    return true;
  });
  return caught as DomainError;
}

void describe('parseJsonObject', () => {
  void it('parses a JSON object', () => {
    assert.deepEqual(parseJsonObject('{"a":1,"b":[{"c":"d"}]}', 'input'), { a: 1, b: [{ c: 'd' }] });
  });

  void it('rejects a member given twice: JSON.parse would read the last value while the block keeps the first', () => {
    assertInvalid(() => parseJsonObject('{"category":"12 Main Street","category":"laboratory"}', 'input'), /twice/);
  });

  void it('rejects a member given twice in a nested object', () => {
    assertInvalid(() => parseJsonObject('{"a":{"b":{"c":1,"c":2}}}', 'input'));
    assertInvalid(() => parseJsonObject('{"a":{"b":1},"a":{"b":1}}', 'input'));
  });

  void it('rejects a member given twice in an object inside an array', () => {
    assertInvalid(() => parseJsonObject('{"a":[{"x":1},{"y":1,"z":[{"q":1,"q":1}]}]}', 'input'));
    assertInvalid(() => parseJsonObject('{"a":[[{"x":1,"x":2}]]}', 'input'));
  });

  void it('compares member names after unescaping', () => {
    assertInvalid(() => parseJsonObject('{"status":"active","st\\u0061tus":"Jane Doe"}', 'input'));
    assertInvalid(() => parseJsonObject('{"a\\"b":1,"a\\u0022b":2}', 'input'));
  });

  void it('accepts the same name in different objects, in sibling array items and at different depths', () => {
    const text = '{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":{}}},"d":[],"e":{},"f":[{}, {}]}';
    assert.deepEqual(Object.keys(parseJsonObject(text, 'input')), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  void it('is not misled by braces, brackets, quotes, colons, commas and escapes inside strings', () => {
    const tricky = {
      a: '}{"a":1,"a":2}',
      b: '\\',
      c: '[{"b":1},{"b":1}]',
      d: 'x\\"y',
      e: '"a":',
      'f,"a":': '\u0000\n\t\u2028',
    };
    const text = JSON.stringify(tricky);
    assert.deepEqual(parseJsonObject(text, 'input'), tricky);
    assert.equal(hasDuplicateKeys(text), false);
    // ... and a duplicate after such strings is still found.
    assert.equal(hasDuplicateKeys(`${text.slice(0, -1)},"d":0}`), true);
    assert.equal(hasDuplicateKeys(`${text.slice(0, -1)},"f,\\"a\\":":0}`), true);
  });

  void it('accepts whitespace anywhere JSON allows it', () => {
    assert.equal(hasDuplicateKeys(' {\n "a" : [ { "b" : 1 } , { "b" : 2 } ] ,\t"c" : "a"\r\n} '), false);
    assert.equal(hasDuplicateKeys(' {\n "a" : 1 ,\n "b" : { } ,\n "a" : 2 } '), true);
  });

  void it('rejects a number written longer than its shortest form: the extra digits would stay in the block', () => {
    assertInvalid(() => parseJsonObject('{"epsilon":0.500000000005558704967}', 'input'), /shortest form/);
    for (const number of ['0.50', '1.0', '1e3', '1E3', '-0', '5.0e-1', '100000000000000000000001']) {
      assertInvalid(() => parseJsonObject(`{"a":{"b":[1,${number}]}}`, 'input'), /shortest form/);
    }
  });

  void it('accepts numbers as JSON.stringify writes them, and digits inside strings', () => {
    for (const value of [0, 1, -1, 0.5, 0.333333, 1e-7, 1e21, 123456789, -2.5e-9]) {
      const text = JSON.stringify({ a: value, b: [value, { c: value }], d: '0.50 1e3 "01"' });
      assert.equal(hasNonCanonicalNumbers(text), false, text);
      assert.deepEqual(parseJsonObject(text, 'input').a, value);
    }
  });

  void it('does not quote the input when it is not JSON (errors may be logged)', () => {
    const error = assertInvalid(() => parseJsonObject('{"name": Jane Doe}', 'input'), /not valid JSON/);
    assert.doesNotMatch(error.message, /Jane/);
    assert.equal(error.cause, undefined);
  });
});

void describe('onlyKnownKeys', () => {
  void it('does not repeat an unknown member name, which is input too', () => {
    const error = assertInvalid(() => {
      onlyKnownKeys({ 'Jane Doe': 1, patientId: 'x' }, ['patientId'], 'input');
    }, /1 unsupported element/);
    assert.doesNotMatch(error.message, /Jane/);
  });

  void it('names the FHIR free-text members it refuses', () => {
    assertInvalid(() => {
      onlyKnownKeys({ display: 'Jane Doe', note: 'x', other: 1 }, [], 'coding');
    }, /3 unsupported element\(s\) \(free text: display, note\)/);
  });
});

void describe('PATTERNS: the id forms of the ledger', () => {
  const hex24 = '0123456789abcdef01234567';
  const cases: Array<[keyof typeof PATTERNS, string]> = [
    ['patientId', `pt-${hex24}`],
    ['studyId', `st-${hex24}`],
    ['grantId', `eg-${hex24}`],
    ['accessRequestId', `ar-${hex24}`],
    ['auditEventId', `ae-${hex24}`],
    ['consentId', `c-${hex24}`],
    ['recordId', `r-${hex24}`],
    ['requestId', '0123456789abcdef0123456789abcdef'],
  ];

  void it('accepts exactly the form Tx.newId (or the server) makes', () => {
    for (const [name, value] of cases) assert.match(value, PATTERNS[name], name);
  });

  void it('rejects identifiers, names and other forms', () => {
    const others = [
      '70660c70-a188-4a1d-bbd1-ddecf886f34f',
      '999-12-3456',
      'felipa.okeefe',
      `pt-${hex24.toUpperCase()}`,
      `pt-${hex24}0`,
      `pt-${hex24.slice(1)}`,
      ` pt-${hex24}`,
      `pt-${hex24}\n`,
    ];
    for (const [name] of cases) {
      for (const value of others) assert.doesNotMatch(value, PATTERNS[name], `${name}: ${value}`);
    }
    // Each kind of id only in its own place.
    for (const [name, value] of cases) {
      for (const [other] of cases) if (other !== name) assert.doesNotMatch(value, PATTERNS[other], value);
    }
  });
});
