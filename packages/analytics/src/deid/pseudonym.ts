import { createHmac } from 'node:crypto';
import { DomainError } from '@medledger/core';

export const MIN_STUDY_KEY_BYTES = 32;

/**
 * A study-specific pseudonymisation key derived from a deployment secret: HMAC-SHA256(secret, label ‖ studyId).
 * Different studies get unlinkable pseudonyms for the same patient; the same study always gets the same ones.
 * @throws DomainError INVALID_ARGUMENT for a secret shorter than 32 bytes or an empty study id
 */
export function deriveStudyKey(secret: Uint8Array, studyId: string): Buffer {
  if (secret.length < MIN_STUDY_KEY_BYTES) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `the pseudonymisation secret must have at least ${MIN_STUDY_KEY_BYTES} bytes`,
    );
  }
  if (studyId.length === 0) throw new DomainError('INVALID_ARGUMENT', 'studyId must not be empty');
  return createHmac('sha256', secret).update(`medledger/study-pseudonym-key/v1:${studyId}`, 'utf8').digest();
}

/**
 * The pseudonym of an original identifier: the first 128 bits of HMAC-SHA256(studyKey, original), in hex. Without
 * the key it can be neither reversed nor recomputed from a guessed identifier.
 */
export function pseudonym(studyKey: Uint8Array, original: string): string {
  return createHmac('sha256', studyKey).update(original, 'utf8').digest('hex').slice(0, 32);
}
