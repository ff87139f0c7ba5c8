// `mlops export --model M [--version V | --alias A] --target browser|edge --out DIR`.
import { loadConfig } from '../core/config';
import { ExportError, TARGETS, type BundleTarget } from '../core/export/bundle';
import { exportBundle } from '../core/export/export';
import { openStores } from '../core/store';
import { assertModelName } from '../core/store/registry';
import { UsageError } from './usage-error';

export const EXPORT_USAGE = 'mlops export --model M [--version V | --alias A] --target browser|edge --out DIR [--json]';

export async function exportCommand(values: Record<string, unknown>): Promise<number> {
  const model = values.model as string | undefined;
  const target = values.target as string | undefined;
  const out = values.out as string | undefined;
  if (!model || !target || !out) throw new UsageError(`--model, --target and --out are required; usage: ${EXPORT_USAGE}`);
  if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`--target ${JSON.stringify(target)} is not one of ${TARGETS.join(', ')}`);
  const versionText = values.version as string | undefined;
  if (versionText !== undefined && !/^[1-9]\d*$/.test(versionText))
    throw new UsageError(`--version ${JSON.stringify(versionText)} is not a version number (1, 2, …)`);
  const stores = openStores(loadConfig());
  try {
    const r = await exportBundle(stores, {
      model: assertModelName(model),
      target: target as BundleTarget,
      out,
      ...(versionText !== undefined ? { version: Number(versionText) } : {}),
      ...(values.alias !== undefined ? { alias: values.alias as string } : {}),
    });
    if (values.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`${r.manifest.model} v${r.manifest.version} → ${r.out} (${target}, ${r.manifest.files.length} files, ${r.manifest.bytes} bytes)`);
      console.log(`bundle ${r.bundle.uri}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ExportError) throw new UsageError(err.message);
    throw err;
  } finally {
    await stores.close();
  }
}
