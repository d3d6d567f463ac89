/** The orders module's public face: executeOrder is the one way to execute an order (orders.ts). */
export { cancelOrder, executeOrder, placeOrder, type ExecutedOrder, type ExecuteOrderOptions } from './orders';
export { getOrder, listOrders, orderFills, quoteOrder, type ExecutedFill, type OrderFilters } from './queries';
export { applyOrderEvents, notifyOrder, recordFills, type ApplyResult } from './apply';
export { ensureBalanceRows, placePaperOrder, placePaperOrderInTx, syncPaperOrders, type PaperOrderInput } from './paper';
export { DEFAULT_NOT_FOUND_GRACE_MS, lookUpOrder, settleFromExchange, type SettleOutcome } from './settle';
export * from './model';
export * from './paper-exchange';
export * from './price-source';
export * from './halt';
export * from './mark';
export * from './views';
export { insertOrders, writeOutcomes, type OrderInsertRequest, type OrderOutcomeRequest, type PaperOrderStatements } from './order-batch-sql';
