import { createSimulatedStub, dispatchTransaction } from '@medledger/chaincode';
import type { StateReader } from '@medledger/chaincode';
import type { Contract } from 'fabric-contract-api';
import { CertificateIdentity } from '../identity/index.js';
import { proposalBytes, sha256Hex } from './block.js';
import type { Proposal, ProposalResponsePayload } from './block.js';

const encoder = new TextEncoder();

function toTimestamp(iso: string): { seconds: number; nanos: number } {
  const millis = Date.parse(iso);
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 };
}

/** The message of a chaincode failure, as a peer returns it in the proposal response (status 500). */
function failureMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs one proposal of the contract against committed state, as an endorsing peer does: the same contract package,
 * the same dispatcher rules, a stub with Fabric semantics and the caller's identity parsed from their certificate.
 * It returns the proposal response payload (status, result, event, read-write set) that the endorser signs.
 */
export async function simulateProposal(
  contract: Contract,
  state: StateReader,
  proposal: Proposal,
  peerMspId: string,
): Promise<ProposalResponsePayload> {
  const stub = createSimulatedStub({
    state,
    txId: proposal.txId,
    channelId: proposal.channelId,
    timestamp: toTimestamp(proposal.timestamp),
    creator: { mspid: proposal.creator.mspId, idBytes: encoder.encode(proposal.creator.certPem) },
    fcn: proposal.fcn,
    args: proposal.args,
    peerMspId,
  });
  const ctx = contract.createContext();
  ctx.stub = stub;
  ctx.clientIdentity = new CertificateIdentity(proposal.creator.mspId, proposal.creator.certPem);
  let status = 200;
  let result: string;
  try {
    result = await dispatchTransaction(contract, ctx, proposal.fcn, [...proposal.args]);
  } catch (err: unknown) {
    status = 500;
    result = failureMessage(err);
  }
  const simulation = stub.simulationResult();
  return {
    proposalHash: sha256Hex(proposalBytes(proposal)),
    status,
    result,
    event:
      status === 200 && simulation.event
        ? { name: simulation.event.name, payload: Buffer.from(simulation.event.payload).toString('base64') }
        : null,
    rwset:
      status === 200
        ? {
            reads: simulation.reads,
            rangeQueries: simulation.rangeQueries,
            writes: simulation.writes.map((write) => ({
              key: write.key,
              value: write.value === null ? null : Buffer.from(write.value).toString('base64'),
            })),
          }
        : { reads: [], rangeQueries: [], writes: [] },
  };
}
