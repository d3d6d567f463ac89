/**
 * Candle validation (for anything entering storage: files, exchange responses) and gap finding.
 */
import { timeframeFromSpacing } from './guess';
import type { OhlcvRow } from '@/server/core/candles';
import { isAlignedToTimeframe, timeframeToMs } from '@/server/core/timeframe';
import { parseCandleFile, type ParseOptions, type RejectedRow } from './parse';

export type { RejectedRow } from './parse';

export interface ValidatedCandles {
  /** Valid rows, ascending by time, unique times. */
  accepted: OhlcvRow[];
  /** `index` = position in the input array. */
  rejected: RejectedRow[];
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Why one row is invalid for `timeframe`, or undefined when it is fine. Does not check duplicates. */
export function candleProblem(row: ArrayLike<number>, timeframe: string): string | undefined {
  for (let k = 0; k < 6; k++) {
    const value = row[k];
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${FIELDS[k]} is not a finite number (${String(value)})`;
  }
  const [time, open, high, low, close, volume] = [row[0]!, row[1]!, row[2]!, row[3]!, row[4]!, row[5]!];
  if (open <= 0 || high <= 0 || low <= 0 || close <= 0) return 'prices must be positive';
  if (high < Math.max(open, close)) return `high ${high} is below max(open, close) ${Math.max(open, close)}`;
  if (low > Math.min(open, close)) return `low ${low} is above min(open, close) ${Math.min(open, close)}`;
  if (volume < 0) return `negative volume ${volume}`;
  if (!isAlignedToTimeframe(time, timeframe)) return `time ${new Date(time).toISOString()} is not aligned to ${timeframe}`;
  return undefined;
}

/**
 * Accepts valid rows (sorted ascending) and reports the rest. Of several rows with the same time, the
 * first valid one in input order is kept and the others are reported with the kept index.
 */
export function validateCandles(rows: ReadonlyArray<ArrayLike<number>>, timeframe: string): ValidatedCandles {
  timeframeToMs(timeframe); // throws on an unknown timeframe before any row is judged
  const rejected: RejectedRow[] = [];
  const keptByTime = new Map<number, number>();
  const accepted: OhlcvRow[] = [];
  let sorted = true;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    const problem = candleProblem(row, timeframe);
    if (problem) {
      rejected.push({ index, reason: problem });
      continue;
    }
    const time = row[0]!;
    const kept = keptByTime.get(time);
    if (kept !== undefined) {
      rejected.push({ index, reason: `duplicate time ${new Date(time).toISOString()} (kept index ${kept})` });
      continue;
    }
    keptByTime.set(time, index);
    const previous = accepted[accepted.length - 1];
    if (previous && previous[0] > time) sorted = false;
    accepted.push([time, row[1]!, row[2]!, row[3]!, row[4]!, row[5]!]);
  }
  if (!sorted) accepted.sort((a, b) => a[0] - b[0]);
  return { accepted, rejected };
}

export interface Gap {
  /** Open time of the first missing candle, ms UTC. */
  from: number;
  /** Exclusive end: open time of the next present candle (or the range end), ms UTC. */
  to: number;
  /** Number of missing candles: (to - from) / timeframe. */
  missing: number;
}

/**
 * Missing candles in ascending, aligned `times`. With `range` ([startMs, endMs), both aligned), the
 * leading and trailing holes are reported too, and an empty `times` is one gap covering the range.
 */
export function findGaps(times: ArrayLike<number>, timeframe: string, range?: { startMs: number; endMs: number }): Gap[] {
  const step = timeframeToMs(timeframe);
  const gaps: Gap[] = [];
  const push = (from: number, to: number) => {
    if (to > from) gaps.push({ from, to, missing: Math.round((to - from) / step) });
  };
  let expected = range ? range.startMs : times.length > 0 ? times[0]! : 0;
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    if (range && (time < range.startMs || time >= range.endMs)) continue;
    push(expected, time);
    expected = Math.max(expected, time + step);
  }
  if (range) push(expected, range.endMs);
  return gaps;
}

export interface ImportedCandles extends ValidatedCandles {
  format: ReturnType<typeof parseCandleFile>['format'];
  /** Both parse and validation rejections, `index` = row/line index in the SOURCE text, ascending. */
  rejected: RejectedRow[];
  gaps: Gap[];
  /** The known timeframe the file's candles are spaced by (most common step among its parsed rows), or null. */
  spacing: string | null;
}

/** Parses a candle file (any supported format) and validates it for `timeframe`, in one step. */
export function importCandles(text: string, timeframe: string, options: ParseOptions = {}): ImportedCandles {
  const parsed = parseCandleFile(text, options);
  const validated = validateCandles(parsed.rows, timeframe);
  const rejected = [...parsed.rejected, ...validated.rejected.map((r) => ({ index: parsed.sourceIndex[r.index]!, reason: r.reason }))].sort(
    (a, b) => a.index - b.index,
  );
  const times = validated.accepted.map((row) => row[0]);
  const spacing = timeframeFromSpacing(parsed.rows.map((row) => row[0]));
  return { format: parsed.format, accepted: validated.accepted, rejected, gaps: findGaps(times, timeframe), spacing };
}
