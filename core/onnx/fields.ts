// The raw fields a registered version takes, from the signature stored with it: the graph's inputs that are not
// derived, plus every raw column a derivation reads. Serving and the exported bundles ask for the same fields.
import type { Derivation } from '../features/spec';
import type { FieldKind } from './rows';
import type { OnnxSignature } from './signature';

/** The signature the registry stores with a version (graph signature + task, threshold, derivations, raw kinds). */
export interface StoredSignature extends OnnxSignature {
  task?: 'binary' | 'multiclass' | 'regression';
  threshold?: number;
  derive?: Derivation[];
  raw?: { name: string; kind: 'numeric' | 'date' | 'categorical' }[];
  protected?: string[];
}

export function requestFields(signature: StoredSignature): Map<string, FieldKind> {
  const fields = new Map<string, FieldKind>();
  const rawKinds = new Map((signature.raw ?? []).map((r) => [r.name, r.kind === 'categorical' ? 'categorical' : 'numeric'] as const));
  const derived = new Set((signature.derive ?? []).map((d) => d.name));
  for (const input of signature.inputs) if (!derived.has(input.name)) fields.set(input.name, input.type === 'string' ? 'categorical' : 'numeric');
  for (const d of signature.derive ?? []) {
    for (const i of 'inputs' in d ? d.inputs : [d.input]) if (!derived.has(i)) fields.set(i, rawKinds.get(i) ?? 'numeric');
  }
  return fields;
}

export function taskOf(signature: StoredSignature): 'binary' | 'multiclass' | 'regression' {
  return signature.task ?? (signature.classes ? (signature.classes.length === 2 ? 'binary' : 'multiclass') : 'regression');
}
