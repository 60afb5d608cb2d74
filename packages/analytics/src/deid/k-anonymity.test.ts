import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enforceKAnonymity } from './k-anonymity.js';

const row = (key: string, ...values: string[]) => ({ key, values });

describe('enforceKAnonymity', () => {
  it('suppresses every row of a class smaller than k and reports the smallest class left', () => {
    const rows = [
      row('a', '1970', 'F', '021'),
      row('b', '1970', 'F', '021'),
      row('c', '1970', 'F', '021'),
      row('d', '1971', 'F', '021'),
      row('e', '1971', 'F', '021'),
      row('f', '1971', 'F', '021'),
      row('g', '1971', 'F', '021'),
      row('h', '1990', 'M', '000'),
    ];
    const result = enforceKAnonymity(rows, 3);
    assert.deepEqual([...result.suppressed], ['h']);
    assert.equal(result.equivalenceClasses, 3);
    assert.equal(result.suppressedClasses, 1);
    assert.equal(result.kAchieved, 3);
    assert.equal(enforceKAnonymity(rows, 4).kAchieved, 4);
    assert.deepEqual([...enforceKAnonymity(rows, 4).suppressed].sort(), ['a', 'b', 'c', 'h']);
  });

  it('distinguishes values that would collide if joined naively', () => {
    const result = enforceKAnonymity([row('a', 'x,y', 'z'), row('b', 'x', 'y,z')], 2);
    assert.equal(result.equivalenceClasses, 2);
    assert.equal(result.suppressed.size, 2);
    assert.equal(result.kAchieved, null);
  });

  it('k = 1 suppresses nothing; k must be a positive integer', () => {
    assert.equal(enforceKAnonymity([row('a', '1')], 1).suppressed.size, 0);
    assert.throws(() => enforceKAnonymity([], 0), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => enforceKAnonymity([], 2.5), { code: 'INVALID_ARGUMENT' });
  });
});
