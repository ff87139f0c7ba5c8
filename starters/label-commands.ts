// `mlops labels export|import`: the logged predictions most worth labelling as CSV, and the filled-in file
// back as feedback labels (the same rows `:feedback` writes).
import { readFile, writeFile } from 'node:fs/promises';
import { loadConfig } from '../core/config';
import { csvField, parseCsv } from '../core/labels/csv';
import { LABEL_STRATEGIES, selectForLabelling, type LabelStrategy, type LoggedPrediction } from '../core/labels/select';
import { openStores } from '../core/store';
import { assertModelName, type RegistryError } from '../core/store/registry';
import { UsageError } from './usage-error';

export const LABELS_EXPORT_USAGE = 'mlops labels export --model M [--sample N] [--strategy uncertainty|random|disagreement] [--seed S] --out FILE.csv';
export const LABELS_IMPORT_USAGE = 'mlops labels import FILE.csv';
/** Unlabelled predictions read to choose from, newest first. */
const CANDIDATES = 50_000;

export async function labelsExportCommand(values: Record<string, unknown>): Promise<number> {
  const name = values.model as string | undefined;
  if (!name) throw new UsageError(`--model is required; usage: ${LABELS_EXPORT_USAGE}`);
  let model: string;
  try {
    model = assertModelName(name);
  } catch (err) {
    throw new UsageError((err as RegistryError).message);
  }
  const out = values.out as string | undefined;
  if (!out) throw new UsageError(`--out FILE.csv is required; usage: ${LABELS_EXPORT_USAGE}`);
  const sample = Number(values.sample ?? 100);
  if (!Number.isInteger(sample) || sample < 1) throw new UsageError(`--sample must be a whole number ≥ 1, got ${JSON.stringify(values.sample)}`);
  const strategy = (values.strategy as string | undefined) ?? 'uncertainty';
  if (!LABEL_STRATEGIES.includes(strategy as LabelStrategy))
    throw new UsageError(`--strategy ${JSON.stringify(strategy)} is not one of ${LABEL_STRATEGIES.join(', ')}`);
  const stores = openStores(loadConfig());
  try {
    // Answered predictions without a label yet (a shadow challenger's rows are paired with them, never exported).
    const res = await stores.pool.query<{
      id: string;
      version: number;
      at: Date;
      features: Record<string, unknown>;
      output: LoggedPrediction['output'];
      shadow: LoggedPrediction['shadow'];
    }>(
      `SELECT p.id, p.version, p.at, p.features, p.output, s.output AS shadow
         FROM predictions p
         LEFT JOIN feedback f ON f.prediction_id = p.id
         LEFT JOIN predictions s ON s.model = p.model AND s.output->>'shadowOf' = p.id::text
        WHERE p.model = $1 AND f.prediction_id IS NULL AND NOT (p.output ? 'shadowOf')
        ORDER BY p.at DESC LIMIT $2`,
      [model, CANDIDATES],
    );
    if (res.rows.length === 0) throw new UsageError(`model ${model} has no logged predictions without a label`);
    let chosen;
    try {
      chosen = selectForLabelling(
        res.rows.map((r) => ({ ...r, at: r.at.toISOString() })),
        strategy as LabelStrategy,
        sample,
        Number(values.seed ?? 0),
      );
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const featureNames = [...new Set(chosen.flatMap((r) => Object.keys(r.features)))].sort();
    const header = ['prediction_id', 'model', 'version', 'at', 'predicted', 'score', 'label', ...featureNames];
    const lines = [header.map(csvField).join(',')];
    for (const r of chosen) {
      const predicted = r.output.label ?? r.output.value ?? '';
      lines.push([r.id, model, r.version, r.at, predicted, r.score, '', ...featureNames.map((f) => r.features[f])].map(csvField).join(','));
    }
    await writeFile(out, `${lines.join('\n')}\n`);
    console.log(`wrote ${chosen.length} predictions of ${model} to label (${strategy}) to ${out}: fill in the label column, then mlops labels import ${out}`);
    return 0;
  } finally {
    await stores.close();
  }
}

export async function labelsImportCommand(file: string | undefined): Promise<number> {
  if (!file) throw new UsageError(`missing FILE; usage: ${LABELS_IMPORT_USAGE}`);
  const rows = parseCsv(
    await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    }),
  );
  const header = rows[0] ?? [];
  const at = { id: header.indexOf('prediction_id'), label: header.indexOf('label') };
  if (at.id < 0 || at.label < 0)
    throw new UsageError(
      `${file}: the header must have prediction_id and label columns (as mlops labels export writes them), got ${JSON.stringify(header.slice(0, 8))}`,
    );
  const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const labels: { id: string; label: string }[] = [];
  rows.slice(1).forEach((r, k) => {
    const label = (r[at.label] ?? '').trim();
    if (label === '') return; // not labelled (yet)
    const id = (r[at.id] ?? '').trim();
    if (!ID.test(id)) throw new UsageError(`${file}: row ${k + 2}: prediction_id ${JSON.stringify(id)} is not a prediction id`);
    labels.push({ id, label });
  });
  if (labels.length === 0) throw new UsageError(`${file}: no row has a label; fill in the label column first`);
  const stores = openStores(loadConfig());
  try {
    const res = await stores.pool.query(
      `INSERT INTO feedback (prediction_id, label)
       SELECT DISTINCT ON (p.id) p.id, x.label FROM unnest($1::uuid[], $2::text[]) AS x(id, label) JOIN predictions p ON p.id = x.id
       ON CONFLICT (prediction_id) DO UPDATE SET label = EXCLUDED.label, at = now()`,
      [labels.map((l) => l.id), labels.map((l) => l.label)],
    );
    const accepted = res.rowCount ?? 0;
    console.log(
      `imported ${accepted} labels from ${file}${accepted < labels.length ? ` (${labels.length - accepted} prediction ids are not in the prediction log)` : ''}`,
    );
    return 0;
  } finally {
    await stores.close();
  }
}
