// Field builders for the declarative spec schemas (the pipeline spec, feature-set definitions), and the one
// formatter that turns their refusals into messages like `spec.training.trials must be an integer from 1 to
// 1000, got 0`. Each builder's error text is the "expected" phrase of that message; the formatter adds the
// path and the value. No I/O: the workflow sandbox parses specs too.
import { z } from 'zod';

/**
 * An error text that is not an "expected" phrase but says the whole refusal after the path; `{value}` stands
 * for the value found: `phrase('{value} is not an event (events: …)')`.
 */
export function phrase(template: string): string {
  return `~${template}`;
}

/** "a, b or c" */
export function listing(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function num(min: number, max: number) {
  const error = `a number from ${min} to ${max}`;
  return z.number({ error }).gte(min, { error }).lte(max, { error });
}

export function int(min: number, max: number) {
  const error = `an integer from ${min} to ${max}`;
  return z.int({ error }).gte(min, { error }).lte(max, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: listing(values) });
}

export function flag() {
  return z.boolean({ error: 'true or false' });
}

/** A string with something in it besides white space. */
export function text(expected = 'a non-empty string') {
  const schema = z.string({ error: expected }).refine((s) => s.trim() !== '', { error: expected });
  return expected === 'a non-empty string' ? schema : schema.describe(expected);
}

/** A list of non-empty names (columns, purposes, …). */
export function names(expected = 'a list of names') {
  return z.array(z.string({ error: 'a name' }).min(1, { error: 'a name' }), { error: expected });
}

/** A non-empty list of `item`s. */
export function nonEmpty<T extends z.ZodType>(item: T, expected: string) {
  return z.array(item, { error: expected }).min(1, { error: expected });
}

/**
 * An object that refuses unknown keys, naming them and listing the fields it has. `noun` is how the message
 * calls a field of it ("a spec field", "a field of a webhook"); default "a field of <its path>".
 */
export function section<S extends z.ZodRawShape>(shape: S, opts: { expected?: string; noun?: string; hint?: string } = {}) {
  const fields = Object.keys(shape).join(', ');
  const unknown = `is not ${opts.noun ?? 'a field of {section}'} (fields: ${fields})${opts.hint ? `; ${opts.hint}` : ''}`;
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? unknown : (opts.expected ?? 'an object')) });
}

/**
 * A cross-field refusal raised in a refinement: `message` follows the path (`spec.time` + ` is required with
 * features.sets: …`); `whole` messages already name their field and are shown as they are.
 */
export function refuse(ctx: z.RefinementCtx, path: PropertyKey[], message: string, whole = false): void {
  ctx.addIssue({ code: 'custom', path, message, params: whole ? { whole: true } : { follows: true } });
}

/** `obj` with `key` set, keys in the order of `shape` (the order a spec always echoes in). */
export function withKey<T extends Record<string, unknown>>(shape: z.ZodRawShape, obj: T, key: string, value: unknown): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape)) {
    if (k === key) out[k] = value;
    else if (Object.hasOwn(obj, k)) out[k] = obj[k];
  }
  return out as T;
}

/** How a message names a key: `spec.a.b`, or `spec.a[""]` for a key that is not a plain name. */
export function keyPath(parent: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Names a list entry in messages (`spec.features.derive[0] (month).op`), so it is found without counting. */
export type EntryLabel = (listKey: string, entry: unknown) => string | undefined;

/** The path of an issue as messages show it, from `root`, list entries labelled by `label`. */
function pathText(root: string, path: readonly PropertyKey[], raw: unknown, label: EntryLabel): string {
  let out = root;
  let at: unknown = raw;
  let parentKey: string | undefined;
  for (const seg of path) {
    const next = at !== null && typeof at === 'object' && Object.hasOwn(at, seg) ? (at as Record<PropertyKey, unknown>)[seg as string] : undefined;
    if (typeof seg === 'number') {
      out += `[${seg}]`;
      const name = parentKey === undefined ? undefined : label(parentKey, next);
      if (name !== undefined) out += ` (${name})`;
    } else {
      out = keyPath(out, String(seg));
    }
    parentKey = typeof seg === 'string' ? seg : undefined;
    at = next;
  }
  return out;
}

function shown(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export interface FormatOptions {
  /** The name the paths start from (`spec`), or '' for none. */
  root: string;
  /** The raw input, read for the labels of list entries. */
  raw: unknown;
  label?: EntryLabel;
}

/** The value an issue is about: for a union told apart by a key, that key's value. */
function valueOf(issue: z.core.$ZodIssue): unknown {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    return input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
  }
  return input;
}

/** One message per issue: the path, and what was expected and found. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], opts: FormatOptions): string[] {
  const label = opts.label ?? (() => undefined);
  const messages: string[] = [];
  for (const issue of issues) {
    const where = pathText(opts.root, issue.path, opts.raw, label);
    const value = valueOf(issue);
    const after = (text: string): string => (where === '' ? text : `${where}${text.startsWith(':') ? '' : ' '}${text}`);
    if (issue.code === 'unrecognized_keys') {
      const section = opts.root === '' ? where : where.slice(opts.root.length).replace(/^\./, '');
      for (const key of issue.keys) messages.push(`${keyPath(where, key)} ${issue.message.replace('{section}', section)}`);
    } else if (issue.code === 'custom' && (issue.params?.whole || issue.params?.follows)) {
      messages.push(issue.params.whole ? issue.message : after(issue.message));
    } else if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined) {
      messages.push(issue.message.startsWith('~') ? `${where} is required` : `${where} is required: ${issue.message}`);
    } else if (issue.message.startsWith('~')) {
      messages.push(after(issue.message.slice(1).replace('{value}', shown(value))));
    } else {
      messages.push(`${where} must be ${issue.message}, got ${shown(value)}`);
    }
  }
  return [...new Set(messages)];
}

/** Parses `raw` with `schema`; on refusal returns every message (paths from `root`). */
export function parseWith<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  opts: Omit<FormatOptions, 'raw'>,
): { ok: true; value: z.output<T> } | { ok: false; messages: string[] } {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, messages: formatIssues(result.error.issues, { ...opts, raw }) };
}
