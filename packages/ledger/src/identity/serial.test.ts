import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDomainError } from '@medledger/core';

import { normalizeSerialHex } from './serial.js';

const invalid = (error: unknown): boolean => isDomainError(error) && error.code === 'INVALID_ARGUMENT';

describe('normalizeSerialHex', () => {
  it('spells serials canonically: lower case, no leading zeros, no separators', () => {
    assert.equal(normalizeSerialHex('00AB:cd'), 'abcd');
    assert.equal(normalizeSerialHex('0x0000'), '0');
    assert.equal(normalizeSerialHex(' 7F '), '7f');
  });

  it('refuses what is not hexadecimal', () => {
    assert.throws(() => normalizeSerialHex('xyz'), invalid);
    assert.throws(() => normalizeSerialHex(''), invalid);
    assert.throws(() => normalizeSerialHex('-01'), invalid);
  });
});
