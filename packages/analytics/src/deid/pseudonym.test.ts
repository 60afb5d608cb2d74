import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveStudyKey, pseudonym } from './pseudonym.js';
import { generalizeZip, RESTRICTED_ZIP3 } from './restricted-zip3.js';

describe('study pseudonyms', () => {
  const secret = Buffer.alloc(32, 9);

  it('are HMAC-SHA256(study key, original id), truncated to 128 bits', () => {
    const key = deriveStudyKey(secret, 'st-1');
    const expected = createHmac('sha256', key).update('Patient/abc').digest('hex').slice(0, 32);
    assert.equal(pseudonym(key, 'Patient/abc'), expected);
    assert.equal(pseudonym(key, 'Patient/abc'), pseudonym(key, 'Patient/abc'));
    assert.notEqual(pseudonym(key, 'Patient/abc'), pseudonym(key, 'Patient/abd'));
  });

  it('differ between studies', () => {
    assert.notEqual(
      pseudonym(deriveStudyKey(secret, 'st-1'), 'Patient/abc'),
      pseudonym(deriveStudyKey(secret, 'st-2'), 'Patient/abc'),
    );
  });

  it('need a secret of at least 32 bytes and a study id', () => {
    assert.throws(() => deriveStudyKey(Buffer.alloc(31), 'st-1'), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => deriveStudyKey(secret, ''), { code: 'INVALID_ARGUMENT' });
  });
});

describe('ZIP codes under Safe Harbor', () => {
  it('lists the 17 restricted three-digit areas of the HHS guidance', () => {
    assert.deepEqual(
      [...RESTRICTED_ZIP3],
      [
        '036',
        '059',
        '063',
        '102',
        '203',
        '556',
        '692',
        '790',
        '821',
        '823',
        '830',
        '831',
        '878',
        '879',
        '884',
        '890',
        '893',
      ],
    );
  });

  it('keeps the first three digits, "000" for restricted areas, and nothing for other forms', () => {
    assert.equal(generalizeZip('02118'), '021');
    assert.equal(generalizeZip('02118-1234'), '021');
    assert.equal(generalizeZip('03603'), '000');
    assert.equal(generalizeZip('89301'), '000');
    assert.equal(generalizeZip('05903'), '000');
    assert.equal(generalizeZip('SW1A 1AA'), undefined);
    assert.equal(generalizeZip('0211'), undefined);
  });
});
