export { ZSignalBodySchema, symbolMatches, type SignalBody } from './body';
export { DEFAULT_REPLAY_WINDOW_MS, DEFAULT_SIGNAL_THROTTLE, receiveSignal, type SignalOptions } from './receive';
export { signalClientOrderId, type SignalAnswer } from './answers';
export { hashSignalSecret, rotateSignalSecret, signalSecretInfo } from './secret';
export { listSignals } from './queries';
export { settlePendingSignals } from './settle-pending';
export * from './views';
