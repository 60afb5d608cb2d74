import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '@medledger/core';
import { blockBytes } from './block.js';
import type { Block, TransactionEnvelope } from './block.js';

const envelope = (n: number): TransactionEnvelope => ({
  proposal: {
    txId: `tx-${n}`,
    channelId: 'medledger',
    chaincodeName: 'medledger',
    fcn: 'RegisterPatient',
    args: [`{"b":${n},"a":"x"}`],
    timestamp: '2025-03-01T10:00:00.000Z',
    nonce: 'ab',
    creator: { mspId: 'HospitalAMSP', certPem: 'PEM' },
  },
  proposalSignature: 'sig',
  response: {
    proposalHash: 'h',
    status: 200,
    result: '{}',
    event: null,
    rwset: { reads: [{ key: 'k', version: null }], rangeQueries: [], writes: [{ key: 'k', value: 'dg==' }] },
  },
  endorsements: [{ endorser: { mspId: 'HospitalAMSP', certPem: 'P' }, signature: 's' }],
});

describe('block bytes', () => {
  it('are exactly the canonical JSON of the block, with and without a channel configuration', () => {
    const block: Block = {
      header: { number: 3, previousHash: 'p', dataHash: 'd', timestamp: '2025-03-01T10:00:01.000Z' },
      transactions: [envelope(1), envelope(2)],
      ordererSignature: { signer: { mspId: 'OrdererMSP', certPem: 'O' }, signature: 'x' },
      validation: ['VALID', 'MVCC_READ_CONFLICT'],
    };
    assert.equal(blockBytes(block).toString('utf8'), canonicalJson(block));
    const genesis: Block = {
      ...block,
      transactions: [],
      validation: [],
      config: {
        channelId: 'medledger',
        chaincodeName: 'medledger',
        organizations: [],
        orderer: { mspId: 'OrdererMSP', rootCertPem: 'R', node: { mspId: 'OrdererMSP', certPem: 'O' } },
        endorsementPolicy: { rule: 'MAJORITY' },
      },
    };
    assert.equal(blockBytes(genesis).toString('utf8'), canonicalJson(genesis));
  });
});
