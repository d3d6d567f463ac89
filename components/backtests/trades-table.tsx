'use client';

import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type SortingState,
} from '@tanstack/react-table';
import { ArrowDown, ArrowUp, Download } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Button } from '@/components/ui/button';
import { EmptyState } from '@/components/ui/states';
import type { BacktestTradeResponse } from '@/server/api/schemas/backtests';
import { arrow, formatDateTime, formatFee, formatPercent, formatPrice, formatQuantity, formatSignedMoney, signTone } from '@/components/format';
import { tradesCsv } from './trades-csv';

const column = createColumnHelper<BacktestTradeResponse>();
/** num: a right-aligned number; secondary: hidden below the sm breakpoint, so a phone shows when and the P&L. */
type ColumnMeta = { num?: boolean; secondary?: boolean };
const SECONDARY: ColumnMeta = { secondary: true };
const SECONDARY_NUM: ColumnMeta = { num: true, secondary: true };

/** Sorts on the value, shows it through the formatting module (on the market's tick and step; unknown: significant digits). */
const decimalColumn = (key: 'entryPrice' | 'exitPrice' | 'quantity' | 'fee', header: string, format: (value: string) => string) =>
  column.accessor((t) => Number(t[key]), { id: key, header, cell: (c) => format(c.row.original[key]), meta: SECONDARY_NUM });

/** The market's price tick and amount step (null when unknown). */
export interface TradesPrecision {
  priceTick: string | null;
  amountStep: string | null;
}

/** Entry and exit are bar times: shown in UTC like every market-data time (docs/formatting.md). */
const columnsFor = ({ priceTick, amountStep }: TradesPrecision, showSymbol: boolean) => [
  ...(showSymbol ? [column.accessor('symbol', { header: 'Pair' })] : []),
  column.accessor((t) => Date.parse(t.entryTime), { id: 'entryTime', header: 'Entry', cell: (c) => formatDateTime(c.getValue()) }),
  column.accessor((t) => Date.parse(t.exitTime), { id: 'exitTime', header: 'Exit', cell: (c) => formatDateTime(c.getValue()), meta: SECONDARY }),
  decimalColumn('entryPrice', 'Entry price', (v) => formatPrice(v, { priceTick })),
  decimalColumn('exitPrice', 'Exit price', (v) => formatPrice(v, { priceTick })),
  decimalColumn('quantity', 'Quantity', (v) => formatQuantity(v, { step: amountStep })),
  decimalColumn('fee', 'Fee', (v) => formatFee(v)),
  column.accessor((t) => Number(t.pnl), {
    id: 'pnl',
    header: 'PnL',
    cell: (c) => (
      <span className={signTone(c.row.original.pnl)}>
        {arrow(c.row.original.pnl)}
        {formatSignedMoney(c.row.original.pnl)}
      </span>
    ),
    meta: { num: true },
  }),
  column.accessor((t) => Number(t.pnlPct), {
    id: 'pnlPct',
    header: 'PnL %',
    cell: (c) => <span className={signTone(c.row.original.pnlPct)}>{formatPercent(c.row.original.pnlPct, { signed: true })}</span>,
    meta: { num: true },
  }),
  column.accessor('exitReason', { header: 'Exit reason', meta: SECONDARY }),
];

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/** Sortable, paged trade table with a CSV export of all trades. */
export function TradesTable({
  trades,
  fileName,
  precision = { priceTick: null, amountStep: null },
  showSymbol = false,
  onSelect,
}: {
  trades: BacktestTradeResponse[];
  fileName: string;
  precision?: TradesPrecision;
  /** a pair list's trades: a column with each trade's pair */
  showSymbol?: boolean;
  /** a row was clicked (or Enter pressed on it): its trade and its 0-based index in `trades` (trade number − 1) */
  onSelect?: (trade: BacktestTradeResponse, index: number) => void;
}) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const data = useMemo(() => trades, [trades]);
  const { priceTick, amountStep } = precision;
  const columns = useMemo(() => columnsFor({ priceTick, amountStep }, showSymbol), [priceTick, amountStep, showSymbol]);
  const table = useReactTable({
    data,
    columns,
    state: { sorting },
    onSortingChange: setSorting,
    // The first click sorts largest first (best PnL, latest time), whatever the data looks like.
    sortDescFirst: true,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    initialState: { pagination: { pageSize: 50 } },
  });
  if (trades.length === 0) return <EmptyState title="No trades">The strategy never entered a position in this range.</EmptyState>;
  return (
    <div className="space-y-2">
      <div className="flex justify-end">
        <Button variant="secondary" size="sm" onClick={() => download(fileName, tradesCsv(trades))}>
          <Download className="h-4 w-4" aria-hidden /> Export CSV
        </Button>
      </div>
      <div className="relative overflow-x-auto rounded-lg border border-border">
        <table className="w-full text-sm" aria-label="Trades">
          <thead className="bg-panel-2 text-xs text-muted">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const { num, secondary } = (header.column.columnDef.meta ?? {}) as ColumnMeta;
                  return (
                    <th
                      key={header.id}
                      className={`whitespace-nowrap p-2 ${num ? 'text-right' : 'text-left'} ${secondary ? 'hidden sm:table-cell' : ''}`}
                      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    >
                      <button type="button" className="inline-flex items-center gap-1 hover:text-fg" onClick={header.column.getToggleSortingHandler()}>
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        {sorted === 'asc' ? (
                          <ArrowUp className="h-3 w-3" aria-hidden />
                        ) : sorted === 'desc' ? (
                          <ArrowDown className="h-3 w-3" aria-hidden />
                        ) : null}
                      </button>
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-border">
            {table.getRowModel().rows.map((row) => (
              <tr
                key={row.id}
                data-testid="trade-row"
                data-trade={row.index + 1}
                className={onSelect ? 'cursor-pointer hover:bg-panel-2 focus-visible:outline focus-visible:outline-accent' : undefined}
                tabIndex={onSelect ? 0 : undefined}
                title={onSelect ? 'Show this trade on the chart' : undefined}
                onClick={onSelect ? () => onSelect(row.original, row.index) : undefined}
                onKeyDown={onSelect ? (event) => event.key === 'Enter' && onSelect(row.original, row.index) : undefined}
              >
                {row.getVisibleCells().map((cell) => {
                  const { num, secondary } = (cell.column.columnDef.meta ?? {}) as ColumnMeta;
                  return (
                    <td key={cell.id} className={`whitespace-nowrap p-2 ${num ? 'num text-right' : ''} ${secondary ? 'hidden sm:table-cell' : ''}`}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {table.getPageCount() > 1 ? (
        <div className="flex items-center justify-end gap-2 text-sm">
          <Button variant="ghost" size="sm" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>
            Previous
          </Button>
          <span className="num text-muted">
            Page {table.getState().pagination.pageIndex + 1} of {table.getPageCount()} · {trades.length} trades
          </span>
          <Button variant="ghost" size="sm" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>
            Next
          </Button>
        </div>
      ) : null}
    </div>
  );
}
