/* eslint-disable @typescript-eslint/no-require-imports -- the load order below is the point of this module */
// Loaded before anything that loads fabric-contract-api, which on load (1) reads CORE_CHAINCODE_LOGGING_LEVEL and logs
// every decorator and transaction at info level unless told otherwise, and (2) installs process-wide handlers that
// make uncaught exceptions and unhandled rejections non-fatal. Inside a peer's chaincode process that is its
// business; inside the Medledger server it would keep a process running in an unknown state after a bug. So the
// embedded ledger is quiet by default (an operator can still set the variable) and keeps Node's fail-fast behaviour.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'ERROR';

const exceptionListeners = new Set(process.listeners('uncaughtException'));
const rejectionListeners = new Set(process.listeners('unhandledRejection'));
require('fabric-contract-api');
for (const listener of process.listeners('uncaughtException')) {
  if (!exceptionListeners.has(listener)) process.removeListener('uncaughtException', listener);
}
for (const listener of process.listeners('unhandledRejection')) {
  if (!rejectionListeners.has(listener)) process.removeListener('unhandledRejection', listener);
}

export {};
