import { DomainError } from '@medledger/core';

/**
 * The canonical form of a certificate serial number used throughout this layer: lower-case hex without leading
 * zeros ("0" for zero). Accepts any hex spelling, e.g. OpenSSL's upper case, a zero-padded form or `ab:cd`.
 * @throws DomainError INVALID_ARGUMENT when the text is not hexadecimal
 */
export function normalizeSerialHex(serialHex: string): string {
  const trimmed = serialHex.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,128}$/.test(trimmed)) {
    throw new DomainError('INVALID_ARGUMENT', 'serial number must be hexadecimal');
  }
  const stripped = trimmed.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}
