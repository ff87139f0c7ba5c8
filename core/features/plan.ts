// The feature graph of a run: which raw columns are read, which features are derived from them (in
// dependency order), and for every candidate model input the raw columns it depends on. Governance is
// checked on this graph, so a prohibited column cannot reach the model through a derivation or a cross.
import { InvalidInput } from '../errors';
import { columnKind } from '../data/statistics';
import type { ColumnType } from '../data/ingest';
import { derivationOrder } from './derive';
import { derivedKind, inputsOf, type Derivation, type FeatureSpec } from './spec';
import { OUTPUT } from '../onnx/signature';

export type RawKind = 'numeric' | 'date' | 'categorical';

export interface PlannedFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  source: 'raw' | 'derived';
  /** Raw columns this feature depends on, transitively. */
  dependsOn: string[];
}

export interface FeaturePlan {
  /** Raw columns read from the dataset: feature inputs, derivation inputs, target and protected attributes. */
  raw: { name: string; kind: RawKind }[];
  derive: Derivation[];
  features: PlannedFeature[];
  target: string;
  protected: string[];
}

export class GovernanceError extends InvalidInput {
  override name = 'GovernanceError';
  constructor(message: string) {
    super(message, 'spec');
  }
}

export interface PlanInput {
  columns: ColumnType[];
  target: string;
  keys?: string[];
  time?: string;
  features?: FeatureSpec;
  prohibited?: string[];
  protected?: string[];
}

export function rawKind(type: string): RawKind | undefined {
  const k = columnKind(type);
  if (k === 'numeric' || k === 'boolean') return 'numeric';
  if (k === 'string') return 'categorical';
  if (k === 'date' || k === 'timestamp') return 'date';
  return undefined;
}

export function planFeatures(input: PlanInput): FeaturePlan {
  const spec = input.features ?? {};
  const types = new Map(input.columns.map((c) => [c.name, c.type]));
  const names = input.columns.map((c) => c.name);
  const list = names.join(', ');
  const prohibited = new Set(input.prohibited ?? []);
  const protectedCols = input.protected ?? [];
  for (const p of protectedCols)
    if (!types.has(p)) throw new GovernanceError(`governance.protected names column ${JSON.stringify(p)}, which the dataset does not have (columns: ${list})`);
  for (const name of spec.include ?? []) {
    if (!types.has(name))
      throw new GovernanceError(`features.include names column ${JSON.stringify(name)}, which the dataset does not have (columns: ${list})`);
  }
  const derivedNames = new Set((spec.derive ?? []).map((d) => d.name));
  for (const name of spec.exclude ?? []) {
    if (!types.has(name) && !derivedNames.has(name))
      throw new GovernanceError(`features.exclude names ${JSON.stringify(name)}, which is neither a column nor a derived feature`);
  }

  const order = derivationOrder(spec.derive ?? [], new Set(names));
  const dependsOn = new Map<string, string[]>();
  for (const n of names) dependsOn.set(n, [n]);
  for (const d of order) dependsOn.set(d.name, [...new Set(inputsOf(d).flatMap((i) => dependsOn.get(i)!))].sort());

  // The entity key of joined feature sets identifies rows like a key: not a feature unless included by name.
  const reserved = new Set([input.target, ...(input.keys ?? []), ...(input.time ? [input.time] : []), ...(spec.entity ? [spec.entity] : [])]);
  const excluded = new Set(spec.exclude ?? []);
  const rawFeatures = (spec.include ?? names).filter((n) => {
    if (spec.include) return true;
    const kind = rawKind(types.get(n)!);
    return !reserved.has(n) && !excluded.has(n) && !prohibited.has(n) && !protectedCols.includes(n) && (kind === 'numeric' || kind === 'categorical');
  });
  const features: PlannedFeature[] = [];
  for (const n of rawFeatures) {
    const kind = rawKind(types.get(n)!);
    if (kind !== 'numeric' && kind !== 'categorical')
      throw new GovernanceError(`features.include: column ${JSON.stringify(n)} is a ${types.get(n)}; use a date derivation (day_of_week, month, …) instead`);
    if (n === input.target) throw new GovernanceError(`features.include names the target ${JSON.stringify(n)}`);
    features.push({ name: n, kind, source: 'raw', dependsOn: [n] });
  }
  for (const d of order) if (!excluded.has(d.name)) features.push({ name: d.name, kind: derivedKind(d), source: 'derived', dependsOn: dependsOn.get(d.name)! });

  // Governance on the graph: no model input may depend on a prohibited or protected column.
  for (const f of features) {
    for (const [set, label] of [
      [prohibited, 'prohibited'],
      [new Set(protectedCols), 'protected'],
    ] as const) {
      const bad = f.dependsOn.filter((c) => set.has(c));
      if (bad.length > 0) {
        const via = f.source === 'raw' ? '' : ` (derived from ${f.dependsOn.join(', ')})`;
        throw new GovernanceError(
          `feature ${JSON.stringify(f.name)} uses ${label} column${bad.length > 1 ? 's' : ''} ${bad.map((b) => JSON.stringify(b)).join(', ')}${via}; ` +
            `${label === 'prohibited' ? 'prohibited columns may not reach the model' : 'protected columns are kept for fairness slices only'}`,
        );
      }
    }
    if (f.dependsOn.includes(input.target))
      throw new GovernanceError(`feature ${JSON.stringify(f.name)} is derived from the target ${JSON.stringify(input.target)}: that leaks the label`);
  }
  // The model's ONNX graph takes each feature as an input named after it, beside its outputs.
  const outputs: string[] = Object.values(OUTPUT);
  for (const f of features) {
    if (outputs.includes(f.name) || f.name.startsWith('/')) {
      throw new GovernanceError(
        `feature ${JSON.stringify(f.name)} cannot be a model input: ${f.name.startsWith('/') ? 'names starting with "/" are reserved in the model graph' : `the model's outputs are named ${outputs.join(', ')}`}; rename the column or list it in features.exclude`,
      );
    }
  }
  if (features.length === 0) throw new GovernanceError(`no features left to train on (columns: ${list}); check features.include/exclude and governance`);

  const rawNeeded = new Set<string>([input.target, ...protectedCols]);
  for (const f of features) for (const c of f.dependsOn) rawNeeded.add(c);
  const raw = names.filter((n) => rawNeeded.has(n)).map((n) => ({ name: n, kind: rawKind(types.get(n)!) ?? 'categorical' }));
  return { raw, derive: order, features, target: input.target, protected: protectedCols };
}
