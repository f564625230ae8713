export { startLocalNetwork, runFromCommandLine } from './start.js';
export type { LocalNetwork, NetworkFile, StartOptions } from './start.js';
export { LocalNetworkError } from './errors.js';
export type { LocalNetworkErrorCode } from './errors.js';
export { findNatsServer, startEmbeddedNats, stopLeftoverNats, INSTALL_HINT } from './nats-server.js';
export type { EmbeddedNats, EmbeddedNatsOptions } from './nats-server.js';
