// fabric-contract-api logs every decorator and transaction at info level unless the peer's variable says otherwise,
// and it reads the variable once, when each of its modules loads. Import this module before any module that loads
// the contract, so that the embedded ledger is quiet by default (an operator can still set the variable).
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'ERROR';

export {};
