// The one implementation of derived features. `deriveValue` computes one feature from one row's inputs;
// the batch path (training, over typed arrays) and the online path (serving, one request) both call it,
// so training and serving cannot disagree. Dates are epoch milliseconds, UTC.
import type { DataColumn } from '../data/columns';
import { CALENDARS, isHoliday } from './holidays';
import { derivedKind, type Derivation } from './spec';

export type Scalar = number | string | null;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Civil date of a day count since 1970-01-01 (proleptic Gregorian), packed as y·10000 + m·100 + d. */
function civil(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (m <= 2 ? 1 : 0)) * 10000 + m * 100 + d;
}

/** Days since 1970-01-01 of a civil date. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Holiday flags per (calendar, day): a dataset has few distinct days, so each is computed once.
const holidayCache = new Map<string, Map<number, number>>();
function holidayOnDay(calendar: string, days: number): number {
  let byDay = holidayCache.get(calendar);
  if (!byDay) holidayCache.set(calendar, (byDay = new Map()));
  let flag = byDay.get(days);
  if (flag === undefined) {
    flag = isHoliday(CALENDARS[calendar]!, days * DAY_MS);
    if (byDay.size < 1_000_000) byDay.set(days, flag);
  }
  return flag;
}

/** One derived value from its inputs' values (numbers; strings for crosses; NaN/null = missing). */
export function deriveValue(d: Derivation, inputs: Scalar[]): Scalar {
  const x = toNumber(inputs[0] ?? null);
  switch (d.op) {
    case 'day_of_week':
      return Number.isFinite(x) ? (((Math.floor(x / DAY_MS) + 4) % 7) + 7) % 7 : NaN; // 1970-01-01 was a Thursday
    case 'weekend': {
      if (!Number.isFinite(x)) return NaN;
      const dow = (((Math.floor(x / DAY_MS) + 4) % 7) + 7) % 7;
      return dow === 0 || dow === 6 ? 1 : 0;
    }
    case 'month':
      return Number.isFinite(x) ? Math.floor(civil(Math.floor(x / DAY_MS)) / 100) % 100 : NaN;
    case 'hour':
      return Number.isFinite(x) ? Math.floor((x - Math.floor(x / DAY_MS) * DAY_MS) / HOUR_MS) : NaN;
    case 'year':
      return Number.isFinite(x) ? Math.floor(civil(Math.floor(x / DAY_MS)) / 10000) : NaN;
    case 'day_of_year': {
      if (!Number.isFinite(x)) return NaN;
      const days = Math.floor(x / DAY_MS);
      return days - daysFromCivil(Math.floor(civil(days) / 10000), 1, 1) + 1;
    }
    case 'holiday':
      return Number.isFinite(x) ? holidayOnDay(d.calendar ?? 'us-federal', Math.floor(x / DAY_MS)) : NaN;
    case 'log1p':
      return x > -1 ? Math.log1p(x) : NaN;
    case 'ratio': {
      const y = toNumber(inputs[1] ?? null);
      return y !== 0 && Number.isFinite(x) && Number.isFinite(y) ? x / y : NaN;
    }
    case 'product':
      return x * toNumber(inputs[1] ?? null);
    case 'bucketize': {
      if (!Number.isFinite(x)) return NaN;
      let k = 0;
      while (k < d.boundaries.length && x >= d.boundaries[k]!) k++;
      return k;
    }
    case 'weighted_sum': {
      let sum = 0;
      for (let i = 0; i < d.weights.length; i++) sum += d.weights[i]! * toNumber(inputs[i] ?? null);
      return sum;
    }
    case 'cross': {
      const parts: string[] = [];
      for (const v of inputs) {
        if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return null;
        parts.push(String(v));
      }
      return parts.join('×');
    }
  }
}

/** Numbers, numeric strings and ISO dates become numbers (dates as epoch ms); anything else NaN. */
export function toNumber(v: Scalar | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v.trim() === '') return NaN;
  const n = Number(v);
  if (!Number.isNaN(n)) return n;
  // ISO dates and timestamps; a date without a zone is UTC, as DuckDB reads it.
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?$/.test(v)) return Date.parse(v.length === 10 ? `${v}T00:00:00Z` : `${v.replace(' ', 'T')}Z`);
  const t = Date.parse(v);
  return Number.isNaN(t) ? NaN : t;
}

/** Derivations in an order where every input is computed before use; names the cycle when there is one. */
export function derivationOrder(derive: Derivation[], available: Set<string>): Derivation[] {
  const byName = new Map(derive.map((d) => [d.name, d]));
  const done = new Set<string>();
  const visiting: string[] = [];
  const order: Derivation[] = [];
  const visit = (d: Derivation): void => {
    if (done.has(d.name)) return;
    if (visiting.includes(d.name)) throw new Error(`features: derivations form a cycle: ${[...visiting, d.name].join(' → ')}`);
    visiting.push(d.name);
    for (const input of d.op === 'cross' || 'inputs' in d ? (d as { inputs: string[] }).inputs : [d.input]) {
      const dep = byName.get(input);
      if (dep) visit(dep);
      else if (!available.has(input)) throw new Error(`features: ${d.name} reads column ${JSON.stringify(input)}, which is neither in the dataset nor derived`);
    }
    visiting.pop();
    done.add(d.name);
    order.push(d);
  };
  for (const d of derive) visit(d);
  return order;
}

/** Batch path: derived columns for every row, from the raw columns (dates as epoch ms). */
export function deriveColumns(order: Derivation[], columns: DataColumn[], rows: number): DataColumn[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const out: DataColumn[] = [];
  const args: Scalar[] = [];
  for (const d of order) {
    const inputs = ('inputs' in d ? d.inputs : [d.input]).map((n) => byName.get(n)!);
    args.length = inputs.length;
    let col: DataColumn;
    if (derivedKind(d) === 'numeric') {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.values[i] ?? null;
        values[i] = deriveValue(d, args) as number;
      }
      col = { name: d.name, kind: 'numeric', values };
    } else {
      // Categorical results depend only on the input values, and datasets repeat few combinations: memoize
      // deriveValue per input tuple (nested maps), which also shares one string per distinct result.
      const values = new Array<string | null>(rows);
      const memo = new Map<Scalar, unknown>();
      for (let i = 0; i < rows; i++) {
        let node: Map<Scalar, unknown> = memo;
        for (let k = 0; k < inputs.length - 1; k++) {
          const v = inputs[k]!.values[i] ?? null;
          args[k] = v;
          let next = node.get(v) as Map<Scalar, unknown> | undefined;
          if (!next) node.set(v, (next = new Map()));
          node = next;
        }
        const last = inputs[inputs.length - 1]!.values[i] ?? null;
        args[inputs.length - 1] = last;
        let value = node.get(last) as string | null | undefined;
        if (value === undefined) node.set(last, (value = deriveValue(d, args) as string | null));
        values[i] = value;
      }
      col = { name: d.name, kind: 'categorical', values };
    }
    byName.set(d.name, col);
    out.push(col);
  }
  return out;
}

/**
 * Online path: the derived values of one request's raw row. `kinds` gives each raw column's kind, so a
 * value arriving as JSON is coerced exactly as the batch path reads it from the dataset.
 */
export function deriveRow(order: Derivation[], row: Record<string, unknown>, kinds: Record<string, 'numeric' | 'categorical'>): Record<string, Scalar> {
  const values: Record<string, Scalar> = {};
  const get = (name: string): Scalar => {
    // Own properties only: a column named like an Object.prototype member (constructor, toString) is data.
    if (Object.hasOwn(values, name)) return values[name]!;
    return coerce(Object.hasOwn(row, name) ? row[name] : undefined, (Object.hasOwn(kinds, name) ? kinds[name] : undefined) ?? 'numeric');
  };
  for (const d of order) values[d.name] = deriveValue(d, ('inputs' in d ? d.inputs : [d.input]).map(get));
  return values;
}

/** A raw JSON value as the batch path sees it: numbers (NaN = missing) or strings (null = missing). */
export function coerce(v: unknown, kind: 'numeric' | 'categorical'): Scalar {
  if (kind === 'categorical') return v === undefined || v === null ? null : typeof v === 'string' ? v : String(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'string' ? toNumber(v) : NaN;
}
