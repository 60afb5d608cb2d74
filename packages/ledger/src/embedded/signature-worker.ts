// Worker thread: verifies batches of signatures with the MSP's own rules (P-256, DER, low-S), so that the main thread
// can keep simulating and committing while signature checks run on another core.
import { parentPort } from 'node:worker_threads';
import { MembershipService } from '../identity/msp.js';

export interface VerifyRequest {
  readonly id: number;
  readonly items: ReadonlyArray<{ readonly certPem: string; readonly data: Uint8Array; readonly signature: string }>;
}

export interface VerifyResponse {
  readonly id: number;
  readonly results: boolean[];
}

const msp = new MembershipService();
parentPort?.on('message', (request: VerifyRequest) => {
  const results = request.items.map((item) => msp.verifySignature(item.certPem, item.data, item.signature));
  parentPort?.postMessage({ id: request.id, results } satisfies VerifyResponse);
});
