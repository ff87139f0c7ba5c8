// The declarative feature spec: derivations, enrichments and crosses over raw columns (and over earlier
// derived features), plus the encoding each model input gets. One zod schema gives the types, the checks
// (errors name the feature and the field) and the published JSON Schema.
import { z } from 'zod';
import { InvalidInput } from '../errors';
import { CALENDARS } from './holidays';
import { INTERNAL_PREFIX, reservedColumnName } from '../data/column-names';
import { flag, int, nonEmpty, oneOf, parseWith, phrase, refuse, section, withKey } from '../spec-fields';

export const DATE_PARTS = ['day_of_week', 'month', 'hour', 'weekend', 'day_of_year', 'year'] as const;

/** Feature-set names: 1-63 of a-z 0-9 _ - starting with a letter or digit (the feature store's rule). */
export const FEATURE_SET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export class FeatureSpecError extends InvalidInput {
  override name = 'FeatureSpecError';
  readonly messages: string[];
  constructor(messages: string | string[]) {
    const list = typeof messages === 'string' ? [messages] : messages;
    super(list.join('\n'), 'spec');
    this.messages = list;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_ .()-]{0,127}$/;
const OPS = [...DATE_PARTS, 'log1p', 'ratio', 'product', 'bucketize', 'weighted_sum', 'cross', 'holiday'] as const;
const CALENDAR_NAMES = Object.keys(CALENDARS) as [string, ...string[]];

function isFeatureName(name: string): boolean {
  return NAME.test(name) && reservedColumnName([name]) === undefined;
}

/** Derived features are named by their `name` in messages (once it is a valid name). */
export function derivationLabel(listKey: string, entry: unknown): string | undefined {
  const name = (entry as { name?: unknown } | null | undefined)?.name;
  return listKey === 'derive' && typeof name === 'string' && isFeatureName(name) ? name : undefined;
}

const featureName = (() => {
  const error = `a feature name (letters, digits, _ . - ( ) and spaces; starting with a letter or _; not __proto__ nor starting with ${INTERNAL_PREFIX})`;
  return z.string({ error }).refine(isFeatureName, { error });
})();
const column = z.string({ error: 'a column name' });
const columns = (min: number) =>
  z.array(column, { error: `a list of at least ${min} column names` }).min(min, { error: `a list of at least ${min} column names` });

/** One derivation per `op`; each refuses fields it does not take. */
const derivation = z.discriminatedUnion(
  'op',
  [
    section({ name: featureName, op: z.enum(DATE_PARTS), input: column }),
    section({ name: featureName, op: z.literal('log1p'), input: column }).describe('natural log of (1 + x) for x > −1, else missing'),
    section({ name: featureName, op: z.enum(['ratio', 'product']), inputs: z.tuple([column, column], { error: 'a list of exactly 2 column names' }) }),
    section({
      name: featureName,
      op: z.literal('bucketize'),
      input: column,
      boundaries: nonEmpty(z.number({ error: 'a finite number' }), 'a non-empty, strictly increasing list of finite numbers').refine(
        (b) => b.every((x, k) => k === 0 || x > b[k - 1]!),
        { error: 'a non-empty, strictly increasing list of finite numbers' },
      ),
    }),
    section({
      name: featureName,
      op: z.literal('weighted_sum'),
      inputs: columns(1),
      weights: z.array(z.number({ error: 'a finite number' }), { error: 'a list of finite numbers' }),
    }).superRefine((d, ctx) => {
      if (d.weights.length !== d.inputs.length) refuse(ctx, ['weights'], `must be ${d.inputs.length} finite numbers, one per input`);
    }),
    section({ name: featureName, op: z.literal('cross'), inputs: columns(2) }).describe(
      'categorical cross of categorical (or bucketized) inputs: values joined with "×"',
    ),
    section({
      name: featureName,
      op: z.literal('holiday'),
      input: column,
      calendar: z.enum(CALENDAR_NAMES, { error: `one of ${CALENDAR_NAMES.join(', ')}` }).default('us-federal'),
    }).describe('1 on a public holiday of `calendar`, else 0'),
  ],
  {
    error: (issue) => {
      if ((issue.code as string) === 'invalid_type') return 'an object with name and op';
      return (issue.input as { op?: unknown } | undefined)?.op === undefined ? `one of ${OPS.join(', ')}` : phrase(`{value} is not one of ${OPS.join(', ')}`);
    },
  },
);

/** A derivation as parsed, or as an older stored spec holds it (`calendar` may be absent there). */
export type Derivation = z.input<typeof derivation>;
export type Encoding = 'standardize' | 'onehot' | 'ordinal';

/** Ordinal with the user's order of categories (first = 0); plain `ordinal` orders them alphabetically. */
const orderedOrdinal = section({
  encoding: z.literal('ordinal', { error: 'ordinal (the only encoding that takes an order)' }),
  order: nonEmpty(
    z.string({ error: 'a category value' }).min(1, { error: 'a category value' }),
    'a non-empty list of category values, lowest first (e.g. ["S","M","L"])',
  ).superRefine((order, ctx) => {
    const seen = new Set<string>();
    order.forEach((x, i) => {
      if (seen.has(x)) refuse(ctx, [], `lists ${JSON.stringify(x)} twice`);
      seen.add(x);
    });
  }),
});
const ENCODING_EXPECTED = 'standardize, onehot, ordinal or {"encoding": "ordinal", "order": [...]}';
const encodingSpec = z.union([oneOf(['standardize', 'onehot', 'ordinal']), orderedOrdinal], {
  error: (issue) => (typeof issue.input === 'object' && issue.input !== null ? undefined : ENCODING_EXPECTED),
});
/** An encoding by name, or ordinal with the user's order of categories. */
export type EncodingSpec = z.output<typeof encodingSpec>;

/** Derivations, each name once. */
export const derivationList = z.array(derivation, { error: 'a list' }).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((d, i) => {
    if (seen.has(d.name)) refuse(ctx, [i], `: feature ${JSON.stringify(d.name)} is defined twice`);
    seen.add(d.name);
  });
});

const SET_EXAMPLE = '{ "name": "customer_stats", "version": 2, "features": ["avg_spend"] }';

/** A feature set joined point-in-time to the events (the spec's data.uri); see core/featurestore. */
const setRef = section(
  {
    name: z
      .string({ error: "a feature set's name (1-63 of a-z 0-9 _ - starting with a letter or digit)" })
      .regex(FEATURE_SET_NAME, { error: "a feature set's name (1-63 of a-z 0-9 _ - starting with a letter or digit)" }),
    version: z
      .int({ error: 'a positive integer (omit it for the latest version)' })
      .gte(1, { error: 'a positive integer (omit it for the latest version)' })
      .optional()
      .describe('default: the latest version when the run starts (the run pins the version it joined)'),
    features: nonEmpty(z.string().min(1), "a non-empty list of feature names (omit it for all of the set's features)")
      .superRefine((f, ctx) => {
        const twice = f.find((x, k) => f.indexOf(x) !== k);
        if (twice !== undefined) refuse(ctx, [], `lists ${JSON.stringify(twice)} twice`);
      })
      .optional()
      .describe('default: every feature of the set version'),
  },
  { noun: 'a field of a feature-set reference', expected: `an object like ${SET_EXAMPLE}` },
);

export type FeatureSetRef = z.output<typeof setRef>;

const setRefs = nonEmpty(setRef, `a non-empty list of feature sets like ${SET_EXAMPLE}`).superRefine((refs, ctx) => {
  const seen = new Set<string>();
  refs.forEach((r, i) => {
    if (seen.has(r.name)) refuse(ctx, [i], `: feature set ${JSON.stringify(r.name)} is listed twice`);
    seen.add(r.name);
  });
});

const featureShape = {
  include: z
    .array(z.string({ error: 'a column name' }), { error: 'a list of column names' })
    .optional()
    .describe('raw columns to use; default: every column except target, keys, time, prohibited and protected'),
  exclude: z.array(z.string({ error: 'a column name' }), { error: 'a list of column names' }).optional(),
  topK: int(1, 1000).optional().describe('categories one-hot encoded per column (the rest share "other")'),
  encodings: z
    .record(z.string(), encodingSpec, { error: 'an object mapping feature names to standardize|onehot|ordinal' })
    .optional()
    .describe(
      'encoding per model input: standardize, onehot, ordinal (alphabetical) or {"encoding": "ordinal", "order": [...]} (lowest first); default: standardize numerics, one-hot categoricals',
    ),
  sets: setRefs.optional().describe("feature sets joined point-in-time to the events in data.uri (needs entity and the spec's time)"),
  prefixed: flag().optional().describe('name joined columns <set>__<feature> (default false, echoed with sets)'),
  entity: z
    .string({ error: phrase('must name a column of data.uri, got {value}') })
    .refine((s) => s.trim() !== '', { error: phrase('must name a column of data.uri, got {value}') })
    .optional()
    .describe("the events' entity-key column, matched (as text) against each set's entity key; required with sets"),
  derive: derivationList.optional().describe('derived features, computed the same way in training and serving'),
};

/** The spec's `features` section. */
export const featureSpecSchema = section(featureShape, { noun: 'a feature spec field' })
  .superRefine((f, ctx) => {
    if (f.sets) {
      if (f.entity === undefined)
        refuse(ctx, ['entity'], 'is required with features.sets: the column of data.uri that holds the entity key (e.g. "customer_id")');
    } else {
      for (const k of ['entity', 'prefixed'] as const) if (f[k] !== undefined) refuse(ctx, [k], 'is only used with features.sets (the feature sets to join)');
    }
  })
  // `prefixed` is echoed only with sets, so specs without sets (and their hashes) stay as they were.
  .transform((f) => (f.sets ? withKey(featureShape, f, 'prefixed', f.prefixed ?? false) : f));

export type FeatureSpec = Omit<z.output<typeof featureSpecSchema>, 'derive'> & { derive?: Derivation[] };

/** Validates the shape of `features`; references are checked later against the dataset's columns. */
export function parseFeatureSpec(raw: unknown): FeatureSpec {
  if (raw === undefined) return {};
  const result = parseWith(featureSpecSchema, raw, { root: 'features', label: derivationLabel });
  if (!result.ok) throw new FeatureSpecError(result.messages);
  return result.value;
}

/** The columns a derivation reads. */
export function inputsOf(d: Derivation): string[] {
  return 'inputs' in d ? d.inputs : [d.input];
}

/** Categorical derivations produce strings; the rest produce numbers. */
export function derivedKind(d: Derivation): 'numeric' | 'categorical' {
  return d.op === 'cross' ? 'categorical' : 'numeric';
}
