// The declarative feature spec: derivations, enrichments and crosses over raw columns (and over earlier
// derived features), plus the encoding each model input gets. Parsed once, with errors that name the
// feature and the field.
import { CALENDARS } from './holidays';
import { INTERNAL_PREFIX, reservedColumnName } from '../data/column-names';

export const DATE_PARTS = ['day_of_week', 'month', 'hour', 'weekend', 'day_of_year', 'year'] as const;

export type Derivation =
  | { name: string; op: (typeof DATE_PARTS)[number]; input: string }
  /** Natural log of (1 + x) for x > −1, else missing: safe on zeros and counts. */
  | { name: string; op: 'log1p'; input: string }
  | { name: string; op: 'ratio' | 'product'; inputs: [string, string] }
  | { name: string; op: 'bucketize'; input: string; boundaries: number[] }
  | { name: string; op: 'weighted_sum'; inputs: string[]; weights: number[] }
  /** Categorical cross of categorical (or bucketized) inputs: values joined with "×". */
  | { name: string; op: 'cross'; inputs: string[] }
  /** Enrichment: 1 on a public holiday of `calendar` (default us-federal), else 0. */
  | { name: string; op: 'holiday'; input: string; calendar?: string };

export type Encoding = 'standardize' | 'onehot' | 'ordinal';
/** An encoding by name, or ordinal with the user's order of categories (first = 0); plain ordinal orders them alphabetically. */
export type EncodingSpec = Encoding | { encoding: 'ordinal'; order: string[] };

/** A feature set joined point-in-time to the events (the spec's data.uri); see core/featurestore. */
export interface FeatureSetRef {
  name: string;
  /** Default: the latest version when the run starts (the run pins the version it joined). */
  version?: number;
  /** Default: every feature of the set version. */
  features?: string[];
}

/** Feature-set names: 1-63 of a-z 0-9 _ - starting with a letter or digit (the feature store's rule). */
export const FEATURE_SET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface FeatureSpec {
  /** Raw columns to use; default: every column except target, keys, time, prohibited and protected. */
  include?: string[];
  exclude?: string[];
  derive?: Derivation[];
  /** Encoding per model input; default: standardize numerics, one-hot categoricals (top `topK` + other). */
  encodings?: Record<string, EncodingSpec>;
  topK?: number;
  /** Feature sets joined point-in-time to the events in data.uri (needs `entity` and the spec's `time`). */
  sets?: FeatureSetRef[];
  /** The events' entity-key column, matched (as text) against each set's entity key; required with `sets`. */
  entity?: string;
  /** Name joined feature columns `<set>__<feature>` instead of `<feature>` (default false, echoed with `sets`). */
  prefixed?: boolean;
}

export class FeatureSpecError extends Error {
  override name = 'FeatureSpecError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_ .()-]{0,127}$/;
const OPS = [...DATE_PARTS, 'log1p', 'ratio', 'product', 'bucketize', 'weighted_sum', 'cross', 'holiday'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, where: string, min = 0): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string') || v.length < min) {
    throw new FeatureSpecError(`${where} must be a list of at least ${min} column names`);
  }
  return v as string[];
}

/** Validates the shape of `features`; references are checked later against the dataset's columns. */
function parseEncoding(name: string, v: unknown): EncodingSpec {
  if (v === 'standardize' || v === 'onehot' || v === 'ordinal') return v;
  if (isRecord(v) && v.encoding === 'ordinal') {
    for (const k of Object.keys(v)) if (k !== 'encoding' && k !== 'order') throw new FeatureSpecError(`features.encodings.${name}.${k} is not a field of an ordinal encoding (fields: encoding, order)`);
    const order = v.order;
    if (!Array.isArray(order) || order.length === 0 || order.some((x) => typeof x !== 'string' || x === '')) {
      throw new FeatureSpecError(`features.encodings.${name}.order must be a non-empty list of category values, lowest first (e.g. ["S","M","L"]), got ${JSON.stringify(order)}`);
    }
    const seen = new Set<string>();
    for (const x of order as string[]) {
      if (seen.has(x)) throw new FeatureSpecError(`features.encodings.${name}.order lists ${JSON.stringify(x)} twice`);
      seen.add(x);
    }
    return { encoding: 'ordinal', order: [...(order as string[])] };
  }
  throw new FeatureSpecError(`features.encodings.${name} must be standardize, onehot, ordinal or {"encoding": "ordinal", "order": [...]}, got ${JSON.stringify(v)}`);
}

export function parseFeatureSpec(raw: unknown): FeatureSpec {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new FeatureSpecError('features must be an object');
  const known = ['include', 'exclude', 'derive', 'encodings', 'topK', 'sets', 'entity', 'prefixed'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new FeatureSpecError(`features.${k} is not a feature spec field (fields: ${known.join(', ')})`);
  const out: FeatureSpec = {};
  if (raw.include !== undefined) out.include = stringList(raw.include, 'features.include');
  if (raw.exclude !== undefined) out.exclude = stringList(raw.exclude, 'features.exclude');
  if (raw.topK !== undefined) {
    if (!Number.isInteger(raw.topK) || (raw.topK as number) < 1 || (raw.topK as number) > 1000) throw new FeatureSpecError('features.topK must be an integer from 1 to 1000');
    out.topK = raw.topK as number;
  }
  if (raw.encodings !== undefined) {
    if (!isRecord(raw.encodings)) throw new FeatureSpecError('features.encodings must map feature names to standardize|onehot|ordinal');
    out.encodings = Object.fromEntries(Object.entries(raw.encodings).map(([k, v]) => [k, parseEncoding(k, v)]));
  }
  if (raw.sets !== undefined) {
    out.sets = parseSetRefs(raw.sets);
    if (raw.entity === undefined) throw new FeatureSpecError('features.entity is required with features.sets: the column of data.uri that holds the entity key (e.g. "customer_id")');
    if (raw.prefixed !== undefined && typeof raw.prefixed !== 'boolean') throw new FeatureSpecError(`features.prefixed must be true or false, got ${JSON.stringify(raw.prefixed)}`);
    out.prefixed = (raw.prefixed as boolean | undefined) ?? false;
  } else {
    for (const k of ['entity', 'prefixed']) if (raw[k] !== undefined) throw new FeatureSpecError(`features.${k} is only used with features.sets (the feature sets to join)`);
  }
  if (raw.entity !== undefined) {
    if (typeof raw.entity !== 'string' || raw.entity.trim() === '') throw new FeatureSpecError(`features.entity must name a column of data.uri, got ${JSON.stringify(raw.entity)}`);
    out.entity = raw.entity;
  }
  if (raw.derive !== undefined) {
    if (!Array.isArray(raw.derive)) throw new FeatureSpecError('features.derive must be a list');
    const names = new Set<string>();
    out.derive = raw.derive.map((d, i) => {
      const where = `features.derive[${i}]`;
      if (!isRecord(d)) throw new FeatureSpecError(`${where} must be an object with name and op`);
      if (typeof d.name !== 'string' || !NAME.test(d.name) || reservedColumnName([d.name]) !== undefined) throw new FeatureSpecError(`${where}.name must be a feature name (letters, digits, _ . - ( ) and spaces; starting with a letter or _; not __proto__ nor starting with ${INTERNAL_PREFIX})`);
      if (names.has(d.name)) throw new FeatureSpecError(`${where}: feature ${JSON.stringify(d.name)} is defined twice`);
      names.add(d.name);
      const w = `${where} (${d.name})`;
      const op = d.op as string;
      if (!(OPS as readonly string[]).includes(op)) throw new FeatureSpecError(`${w}.op ${JSON.stringify(d.op)} is not one of ${OPS.join(', ')}`);
      const one = (): string => {
        if (typeof d.input !== 'string') throw new FeatureSpecError(`${w}.input must name one column`);
        return d.input;
      };
      switch (op) {
        case 'ratio':
        case 'product': {
          const inputs = stringList(d.inputs, `${w}.inputs`, 2);
          if (inputs.length !== 2) throw new FeatureSpecError(`${w}.inputs must name exactly 2 columns`);
          return { name: d.name, op, inputs: [inputs[0]!, inputs[1]!] };
        }
        case 'bucketize': {
          const b = d.boundaries;
          if (!Array.isArray(b) || b.length === 0 || b.some((x) => typeof x !== 'number' || !Number.isFinite(x)) || b.some((x, k) => k > 0 && x <= (b[k - 1] as number))) {
            throw new FeatureSpecError(`${w}.boundaries must be a non-empty, strictly increasing list of finite numbers`);
          }
          return { name: d.name, op, input: one(), boundaries: b as number[] };
        }
        case 'weighted_sum': {
          const inputs = stringList(d.inputs, `${w}.inputs`, 1);
          const weights = d.weights;
          if (!Array.isArray(weights) || weights.length !== inputs.length || weights.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
            throw new FeatureSpecError(`${w}.weights must be ${inputs.length} finite numbers, one per input`);
          }
          return { name: d.name, op, inputs, weights: weights as number[] };
        }
        case 'cross':
          return { name: d.name, op, inputs: stringList(d.inputs, `${w}.inputs`, 2) };
        case 'holiday': {
          const calendar = d.calendar ?? 'us-federal';
          if (typeof calendar !== 'string' || !Object.hasOwn(CALENDARS, calendar)) throw new FeatureSpecError(`${w}.calendar must be one of ${Object.keys(CALENDARS).join(', ')}`);
          return { name: d.name, op, input: one(), calendar };
        }
        default:
          return { name: d.name, op: op as (typeof DATE_PARTS)[number] | 'log1p', input: one() };
      }
    });
  }
  return out;
}

function parseSetRefs(raw: unknown): FeatureSetRef[] {
  const example = '{ "name": "customer_stats", "version": 2, "features": ["avg_spend"] }';
  if (!Array.isArray(raw) || raw.length === 0) throw new FeatureSpecError(`features.sets must be a non-empty list of feature sets like ${example}`);
  const seen = new Set<string>();
  return raw.map((r, i): FeatureSetRef => {
    const where = `features.sets[${i}]`;
    if (!isRecord(r)) throw new FeatureSpecError(`${where} must be an object like ${example}`);
    for (const k of Object.keys(r)) if (!['name', 'version', 'features'].includes(k)) throw new FeatureSpecError(`${where}.${k} is not a field of a feature-set reference (fields: name, version, features)`);
    if (typeof r.name !== 'string' || !FEATURE_SET_NAME.test(r.name)) {
      throw new FeatureSpecError(`${where}.name must be a feature set's name (1-63 of a-z 0-9 _ - starting with a letter or digit), got ${JSON.stringify(r.name)}`);
    }
    if (seen.has(r.name)) throw new FeatureSpecError(`${where}: feature set ${JSON.stringify(r.name)} is listed twice`);
    seen.add(r.name);
    const out: FeatureSetRef = { name: r.name };
    if (r.version !== undefined) {
      if (!Number.isInteger(r.version) || (r.version as number) < 1) throw new FeatureSpecError(`${where}.version must be a positive integer (omit it for the latest version), got ${JSON.stringify(r.version)}`);
      out.version = r.version as number;
    }
    if (r.features !== undefined) {
      const f = r.features;
      if (!Array.isArray(f) || f.length === 0 || f.some((x) => typeof x !== 'string' || x === '')) {
        throw new FeatureSpecError(`${where}.features must be a non-empty list of feature names (omit it for all of the set's features), got ${JSON.stringify(f)}`);
      }
      const twice = f.find((x, k) => f.indexOf(x) !== k);
      if (twice !== undefined) throw new FeatureSpecError(`${where}.features lists ${JSON.stringify(twice)} twice`);
      out.features = f as string[];
    }
    return out;
  });
}

/** The columns a derivation reads. */
export function inputsOf(d: Derivation): string[] {
  return 'inputs' in d ? d.inputs : [d.input];
}

/** Categorical derivations produce strings; the rest produce numbers. */
export function derivedKind(d: Derivation): 'numeric' | 'categorical' {
  return d.op === 'cross' ? 'categorical' : 'numeric';
}
