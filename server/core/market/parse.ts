/**
 * Candle file importers: text in, ascending OHLCV rows out, with every refused row reported.
 *
 * Formats (auto-detected from content by `detectCandleFormat`):
 * - `ccxt-json`:    `[[timeMs, open, high, low, close, volume], ...]` (numbers or numeric strings)
 * - `objects-json`: `{"candles":[{"start":"<unix s>","open":"..",...}]}` (also a bare array of objects,
 *                   or the array under `data`/`result`); field names resolved like CSV headers
 * - `csv`:          a header line naming the columns in any order (comma, semicolon or tab separated);
 *                   lines above the header (a banner) are skipped.
 *
 * `index` in `rejected` and `sourceIndex` is the element index in a JSON array, or the 0-based LINE
 * index in a CSV file (line 0 = the first line of the text, banner and header included).
 *
 * Times accept epoch seconds, milliseconds or microseconds (chosen by magnitude), ISO 8601 (no zone =
 * UTC) and CryptoDataDownload's `YYYY-MM-DD HH-AM` / `HH-PM` (UTC; 12-AM = 00:00, 12-PM = 12:00).
 *
 * Volume is BASE-asset volume. When a file has both a plain `volume` and a `volume_<asset>` column
 * (CryptoDataDownload: `volume_btc` = base, `volume` = quote USD), the asset-suffixed column matching
 * the symbol's base (or `baseAsset` option) wins; columns named quote volume are never used.
 *
 * Order: a file is ascending or descending (decided from its first and last parsable rows; the output is
 * always ascending). A row whose time does not continue the file's direction after the last kept row is
 * rejected as out of order, and a repeated time is rejected as a duplicate (the first one in the file is
 * kept). This is greedy: a single wildly wrong time early in a file would reject the rows after it, which
 * then shows up loudly in `rejected` rather than silently.
 *
 * Only syntax and order are checked here; OHLC consistency, alignment and volume sign are
 * `validateCandles`'s job (see `importCandles`, which runs both).
 */
import type { OhlcvRow } from '@/server/core/candles';
import { parseIsoTimeUtc } from '@/server/core/time';

export type CandleFileFormat = 'ccxt-json' | 'objects-json' | 'csv';

export interface RejectedRow {
  /** Row index in the source (see module comment). */
  index: number;
  reason: string;
}

export interface ParsedCandles {
  format: CandleFileFormat;
  /** Ascending by time, unique times. */
  rows: OhlcvRow[];
  /** `sourceIndex[i]` is where `rows[i]` came from in the source. */
  sourceIndex: number[];
  rejected: RejectedRow[];
}

export interface ParseOptions {
  /** Skip detection. */
  format?: CandleFileFormat;
  /** Base asset (e.g. "BTC") to pick `volume_btc` among several volume columns. */
  baseAsset?: string;
}

export function detectCandleFormat(text: string): CandleFileFormat {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return 'objects-json';
  if (trimmed.startsWith('[')) {
    const next = trimmed.slice(1).trimStart()[0];
    return next === '{' ? 'objects-json' : 'ccxt-json';
  }
  return 'csv';
}

export function parseCandleFile(text: string, options: ParseOptions = {}): ParsedCandles {
  const format = options.format ?? detectCandleFormat(text);
  switch (format) {
    case 'ccxt-json':
      return parseCcxtJson(text);
    case 'objects-json':
      return parseObjectsJson(text, options);
    case 'csv':
      return parseCandleCsv(text, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Field helpers

/** A decimal number from a JSON number or numeric string; undefined for anything else ("" included). */
export function parseDecimalField(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const AM_PM_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2})(?:[-:](\d{2}))?[- ]?(AM|PM)$/i;

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls Feb 30 into March; refuse instead of guessing.
  if (new Date(time).getUTCDate() !== day) return undefined;
  return time;
}

/** Epoch number → ms by magnitude: < 1e11 seconds, < 1e14 ms, < 1e17 µs, else ns. */
export function epochToMs(value: number): number {
  const abs = Math.abs(value);
  if (abs < 1e11) return Math.round(value * 1000);
  if (abs < 1e14) return Math.round(value);
  if (abs < 1e17) return Math.round(value / 1000);
  return Math.round(value / 1e6);
}

/** A candle time in ms since epoch (UTC), or undefined when the text is not a time we understand. */
export function parseTimeField(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? epochToMs(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return epochToMs(Number(text));
  const m = AM_PM_PATTERN.exec(text);
  if (m) {
    const hour12 = Number(m[4]);
    if (hour12 < 1 || hour12 > 12) return undefined;
    const hour = (hour12 % 12) + (m[6]!.toUpperCase() === 'PM' ? 12 : 0);
    return utc(Number(m[1]), Number(m[2]), Number(m[3]), hour, Number(m[5] ?? 0));
  }
  const time = parseIsoTimeUtc(text, { file: true });
  if (!Number.isNaN(time)) return time;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Column resolution (shared by CSV headers and JSON object keys)

const TIME_NAMES = ['unix', 'timestamp', 'time', 'open_time', 'opentime', 'start', 'date', 'datetime', 'ts', 'unix_timestamp', 'open time', 'date_time'];
const FIELD_NAMES = {
  open: ['open', 'o', 'open_price'],
  high: ['high', 'h', 'high_price'],
  low: ['low', 'l', 'low_price'],
  close: ['close', 'c', 'close_price'],
} as const;
const QUOTE_VOLUME = /quote|turnover|notional|value/;

function normalizeName(name: string): string {
  return name
    .trim()
    .replace(/^["']|["']$/g, '')
    .trim()
    .toLowerCase();
}

interface Columns<K> {
  time: K;
  open: K;
  high: K;
  low: K;
  close: K;
  volume: K;
}

/**
 * Picks the column for each field from the available names (already normalized). `symbolHint` is a
 * pair like "BTCUSD" whose prefix names the base asset. Returns a message when a field is missing.
 */
function resolveColumns<K>(names: ReadonlyArray<readonly [string, K]>, baseAsset: string | undefined, symbolHint: string | undefined): Columns<K> | string {
  const find = (candidates: readonly string[]): K | undefined => {
    for (const candidate of candidates) {
      const hit = names.find(([name]) => name === candidate);
      if (hit) return hit[1];
    }
    return undefined;
  };
  const time = find(TIME_NAMES);
  const open = find(FIELD_NAMES.open);
  const high = find(FIELD_NAMES.high);
  const low = find(FIELD_NAMES.low);
  const close = find(FIELD_NAMES.close);

  const volumeColumns = names
    .map(([name, key]) => ({ key, match: /^(?:volume|vol)(?:[ _\-.]?([a-z0-9]+))?$/.exec(name.replace(/\s+/g, ' ')), name }))
    .filter((c) => c.match !== null && !QUOTE_VOLUME.test(c.name));
  let volume: K | undefined;
  const suffixed = volumeColumns.filter((c) => c.match![1] !== undefined);
  const plain = volumeColumns.find((c) => c.match![1] === undefined);
  const base = baseAsset?.toLowerCase();
  const bySymbol = base
    ? suffixed.find((c) => c.match![1] === base)
    : symbolHint
      ? suffixed.find((c) =>
          symbolHint
            .toLowerCase()
            .replace(/[^a-z0-9]/g, '')
            .startsWith(c.match![1]!),
        )
      : undefined;
  if (bySymbol) volume = bySymbol.key;
  else if (suffixed.length === 1 && plain)
    volume = suffixed[0]!.key; // CryptoDataDownload: plain `volume` is quote
  else if (plain) volume = plain.key;
  else if (suffixed.length === 1) volume = suffixed[0]!.key;

  const missing = Object.entries({ time, open, high, low, close, volume })
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0) return `missing column(s): ${missing.join(', ')}`;
  return { time: time!, open: open!, high: high!, low: low!, close: close!, volume: volume! };
}

// ---------------------------------------------------------------------------------------------
// Row assembly and ordering

interface Candidate {
  index: number;
  row: OhlcvRow;
}

function rowFromFields(time: unknown, open: unknown, high: unknown, low: unknown, close: unknown, volume: unknown, epochMs = false): OhlcvRow | string {
  // ccxt arrays always carry ms; elsewhere an epoch number's unit is guessed from its magnitude.
  const t = epochMs && typeof time === 'number' ? (Number.isInteger(time) ? time : undefined) : parseTimeField(time);
  if (t === undefined) return `unreadable time ${JSON.stringify(time)}`;
  const values = { open, high, low, close, volume };
  const parsed: number[] = [];
  for (const [field, raw] of Object.entries(values)) {
    const n = parseDecimalField(raw);
    if (n === undefined) return `${field} is not a finite number: ${JSON.stringify(raw)}`;
    parsed.push(n);
  }
  return [t, parsed[0]!, parsed[1]!, parsed[2]!, parsed[3]!, parsed[4]!];
}

/** Keeps the file's direction (see module comment) and returns ascending rows. */
function orderRows(format: CandleFileFormat, candidates: Candidate[], rejected: RejectedRow[]): ParsedCandles {
  const descending = candidates.length > 1 && candidates[candidates.length - 1]!.row[0] < candidates[0]!.row[0];
  const kept: Candidate[] = [];
  const keptIndexByTime = new Map<number, number>();
  for (const candidate of candidates) {
    const time = candidate.row[0];
    const previous = kept[kept.length - 1];
    const keptIndex = keptIndexByTime.get(time);
    if (keptIndex !== undefined) {
      rejected.push({ index: candidate.index, reason: `duplicate time ${new Date(time).toISOString()} (kept index ${keptIndex})` });
      continue;
    }
    if (previous && (descending ? time > previous.row[0] : time < previous.row[0])) {
      rejected.push({
        index: candidate.index,
        reason: `out of order: ${new Date(time).toISOString()} after ${new Date(previous.row[0]).toISOString()} in a ${descending ? 'descending' : 'ascending'} file`,
      });
      continue;
    }
    kept.push(candidate);
    keptIndexByTime.set(time, candidate.index);
  }
  if (descending) kept.reverse();
  rejected.sort((a, b) => a.index - b.index);
  return { format, rows: kept.map((c) => c.row), sourceIndex: kept.map((c) => c.index), rejected };
}

// ---------------------------------------------------------------------------------------------
// Formats

export function parseCcxtJson(text: string): ParsedCandles {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new SyntaxError('ccxt candle JSON must be an array of [time, open, high, low, close, volume]');
  const candidates: Candidate[] = [];
  const rejected: RejectedRow[] = [];
  data.forEach((item: unknown, index) => {
    if (!Array.isArray(item) || item.length < 6) {
      rejected.push({ index, reason: 'expected [time, open, high, low, close, volume]' });
      return;
    }
    const row = rowFromFields(item[0], item[1], item[2], item[3], item[4], item[5], true);
    if (typeof row === 'string') rejected.push({ index, reason: row });
    else candidates.push({ index, row });
  });
  return orderRows('ccxt-json', candidates, rejected);
}

export function parseObjectsJson(text: string, options: ParseOptions = {}): ParsedCandles {
  const data: unknown = JSON.parse(text);
  let list: unknown;
  if (Array.isArray(data)) list = data;
  else if (data && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    list = record.candles ?? record.data ?? record.result;
  }
  if (!Array.isArray(list)) throw new SyntaxError('candle JSON must hold an array of objects (under "candles", "data" or "result")');
  const candidates: Candidate[] = [];
  const rejected: RejectedRow[] = [];
  let columns: Columns<string> | undefined;
  list.forEach((item: unknown, index) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      rejected.push({ index, reason: 'expected an object with time, open, high, low, close, volume' });
      return;
    }
    const record = item as Record<string, unknown>;
    if (!columns) {
      const resolved = resolveColumns(
        Object.keys(record).map((key) => [normalizeName(key), key] as const),
        options.baseAsset,
        undefined,
      );
      if (typeof resolved === 'string') {
        rejected.push({ index, reason: resolved });
        return;
      }
      columns = resolved;
    }
    const row = rowFromFields(
      record[columns.time],
      record[columns.open],
      record[columns.high],
      record[columns.low],
      record[columns.close],
      record[columns.volume],
    );
    if (typeof row === 'string') rejected.push({ index, reason: row });
    else candidates.push({ index, row });
  });
  return orderRows('objects-json', candidates, rejected);
}

function splitCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** The header is the first of the first 10 lines that names open, high, low and close. */
export function parseCandleCsv(text: string, options: ParseOptions = {}): ParsedCandles {
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  let delimiter = ',';
  for (let i = 0; i < Math.min(lines.length, 10) && headerLine < 0; i++) {
    for (const candidate of [',', ';', '\t']) {
      const names = splitCsvLine(lines[i]!, candidate).map(normalizeName);
      if (['open', 'high', 'low', 'close'].every((n) => names.includes(n))) {
        headerLine = i;
        delimiter = candidate;
        break;
      }
    }
  }
  if (headerLine < 0) throw new SyntaxError('CSV has no header line naming open, high, low and close within its first 10 lines');
  const names = splitCsvLine(lines[headerLine]!, delimiter).map(normalizeName);
  const symbolColumn = names.findIndex((n) => n === 'symbol' || n === 'pair' || n === 'market');
  const firstData = lines.slice(headerLine + 1).find((l) => l.trim() !== '');
  const symbolHint = symbolColumn >= 0 && firstData ? splitCsvLine(firstData, delimiter)[symbolColumn]?.trim() : undefined;
  const columns = resolveColumns(
    names.map((name, i) => [name, i] as const),
    options.baseAsset,
    symbolHint,
  );
  if (typeof columns === 'string') throw new SyntaxError(`CSV header: ${columns}`);

  const candidates: Candidate[] = [];
  const rejected: RejectedRow[] = [];
  const width = Math.max(columns.time, columns.open, columns.high, columns.low, columns.close, columns.volume) + 1;
  for (let index = headerLine + 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line, delimiter);
    if (fields.length < width) {
      rejected.push({ index, reason: `expected at least ${width} fields, got ${fields.length}` });
      continue;
    }
    const row = rowFromFields(
      fields[columns.time],
      fields[columns.open],
      fields[columns.high],
      fields[columns.low],
      fields[columns.close],
      fields[columns.volume],
    );
    if (typeof row === 'string') rejected.push({ index, reason: row });
    else candidates.push({ index, row });
  }
  return orderRows('csv', candidates, rejected);
}
