export { ZSignalBodySchema, symbolMatches, type SignalBody } from './body';
export { DEFAULT_REPLAY_WINDOW_MS, DEFAULT_SIGNAL_THROTTLE, receiveSignal, signalClientOrderId, type SignalAnswer, type SignalOptions } from './receive';
export { hashSignalSecret, rotateSignalSecret, signalSecretInfo } from './secret';
export { listSignals } from './queries';
export { settlePendingSignals } from './settle-pending';
export * from './views';
