import { validateSimulation } from '@medledger/chaincode';
import type { StateReader } from '@medledger/chaincode';
import type { ValidationCode } from '../ledger-client.js';
import {
  computeTxId,
  proposalBytes,
  requiredEndorsements,
  responseBytes,
  sha256Hex,
  withinClockSkew,
} from './block.js';
import type { ChannelConfig, ReadWriteSet, TransactionEnvelope } from './block.js';
import { OverlayState } from './overlay-state.js';
import { unstorableReason } from './store-state.js';

export type CertificateStatus = 'VALID' | 'CERTIFICATE_UNKNOWN' | 'CERTIFICATE_REVOKED' | 'CERTIFICATE_EXPIRED';

/** What validation needs from the membership service provider. */
export interface IdentityVerifier {
  validateCertificate(mspId: string, certPem: string, atMs: number): CertificateStatus;
  verifySignature(certPem: string, data: Uint8Array, signatureBase64: string): boolean;
}

export interface ValidationContext {
  readonly config: ChannelConfig;
  readonly identities: IdentityVerifier;
  /** Committed world state, before this block. */
  readonly state: StateReader;
  /** Whether a transaction id was already committed in an earlier block. */
  readonly isCommitted: (txId: string) => boolean;
  /** The block's time: certificates are checked for expiry and revocation then, not at the client-chosen time. */
  readonly timeMs: number;
}

export interface BlockValidation {
  readonly codes: ValidationCode[];
  /** The writes of the valid transactions, in block order, ready to commit. */
  readonly updates: Array<{ txNum: number; txId: string; writes: ReadWriteSet['writes'] }>;
}

function decodeWrites(writes: ReadWriteSet['writes']): Array<{ key: string; value: Uint8Array | null }> {
  return writes.map((write) => ({
    key: write.key,
    value: write.value === null ? null : Buffer.from(write.value, 'base64'),
  }));
}

/** Identity, signature and policy checks of one transaction: everything but MVCC. */
export function checkTransaction(tx: TransactionEnvelope, context: ValidationContext): ValidationCode {
  const payload = checkPayload(tx, context.config, context.timeMs);
  if (payload !== 'VALID') return payload;
  const creator = checkCreator(tx, context);
  return creator === 'VALID' ? checkEndorsements(tx, context) : creator;
}

function checkPayload(tx: TransactionEnvelope, config: ChannelConfig, timeMs: number): ValidationCode {
  const { proposal, response } = tx;
  const wellFormed =
    proposal.channelId === config.channelId &&
    proposal.chaincodeName === config.chaincodeName &&
    computeTxId(proposal.nonce, proposal.creator) === proposal.txId &&
    // The timestamp becomes the transaction time in chaincode (grant expiry, consent periods): bound it.
    withinClockSkew(config, proposal.timestamp, timeMs) &&
    response.status === 200 &&
    response.proposalHash === sha256Hex(proposalBytes(proposal)) &&
    // Only a faulty or malicious endorser can produce these (the stub refuses them): keys that are not well-formed
    // text, and empty values, which Fabric reads as deletes.
    unstorableReason(tx) === undefined &&
    !response.rwset.writes.some((write) => write.value === '');
  return wellFormed ? 'VALID' : 'BAD_PAYLOAD';
}

function checkCreator(tx: TransactionEnvelope, context: ValidationContext): ValidationCode {
  const { mspId, certPem } = tx.proposal.creator;
  const status = context.identities.validateCertificate(mspId, certPem, context.timeMs);
  if (status !== 'VALID') return status;
  return context.identities.verifySignature(certPem, proposalBytes(tx.proposal), tx.proposalSignature)
    ? 'VALID'
    : 'BAD_CREATOR_SIGNATURE';
}

function checkEndorsements(tx: TransactionEnvelope, context: ValidationContext): ValidationCode {
  const { config, identities } = context;
  const signed = responseBytes(tx.response);
  const peers = new Map(config.organizations.map((org) => [org.mspId, org.peer.certPem]));
  const endorsingOrgs = new Set<string>();
  for (const endorsement of tx.endorsements) {
    const { mspId, certPem } = endorsement.endorser;
    if (peers.get(mspId) !== certPem || identities.validateCertificate(mspId, certPem, context.timeMs) !== 'VALID') {
      return 'ENDORSEMENT_POLICY_FAILURE';
    }
    if (!identities.verifySignature(certPem, signed, endorsement.signature)) return 'BAD_ENDORSER_SIGNATURE';
    endorsingOrgs.add(mspId);
  }
  const required = requiredEndorsements(config.endorsementPolicy, config.organizations.length);
  return endorsingOrgs.size >= required ? 'VALID' : 'ENDORSEMENT_POLICY_FAILURE';
}

/**
 * Fabric's validate phase for one block: each transaction's creator and endorsements, the endorsement policy, then
 * MVCC read versions against committed state plus the writes of the valid transactions before it in the block.
 * Invalid transactions stay in the block with their code; only valid ones produce updates.
 */
export function validateBlock(
  transactions: readonly TransactionEnvelope[],
  context: ValidationContext,
): BlockValidation {
  const overlay = new OverlayState(context.state);
  const seen = new Set<string>();
  const codes: ValidationCode[] = [];
  const updates: BlockValidation['updates'] = [];
  transactions.forEach((tx, txNum) => {
    const txId = tx.proposal.txId;
    let code: ValidationCode =
      seen.has(txId) || context.isCommitted(txId) ? 'DUPLICATE_TXID' : checkTransaction(tx, context);
    seen.add(txId);
    if (code === 'VALID') {
      const rwset = tx.response.rwset;
      code = validateSimulation(overlay, { ...rwset, writes: [], event: null });
    }
    if (code === 'VALID') {
      overlay.apply(decodeWrites(tx.response.rwset.writes), { blockNum: -1, txNum });
      updates.push({ txNum, txId, writes: tx.response.rwset.writes });
    }
    codes.push(code);
  });
  return { codes, updates };
}
