// `mlops spec validate FILE`: checks a pipeline spec file without starting anything. Exit 0 with one OK line,
// or 2 with every refusal (one per wrong field), each prefixed with the file.
import { readFileSync } from 'node:fs';
import { parseSpec, SpecError } from '../core/spec';
import { UsageError } from './usage-error';

export function specValidateCommand(values: Record<string, unknown>, positionals: string[]): number {
  if (positionals.length !== 1) throw new UsageError(`spec validate: expected one FILE, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    const spec = parseSpec(raw);
    if (values.json) console.log(JSON.stringify(spec, null, 2));
    else console.log(`ok: ${file} is a valid pipeline spec (model ${spec.name}, target ${spec.target}, task ${spec.task ?? 'inferred'})`);
    return 0;
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    for (const message of err.messages) console.error(`${file}: ${message}`);
    console.error(
      `${file}: ${err.messages.length} problem${err.messages.length === 1 ? '' : 's'}; the fields and their defaults: schema/pipeline-spec.schema.json`,
    );
    return 2;
  }
}
