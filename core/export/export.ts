// `mlops export`: one registered version → a bundle folder for a target, its files stored content-addressed
// in the artifact store (bundles/files/<sha256>) with a manifest (bundles/<model>/<sha256>.json), and the
// export recorded in lineage (Model → export → Bundle).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Stores } from '../store';
import type { ModelVersion } from '../store/registry';
import { codeVersion } from '../version';
import { ExportError, manifestBytes, writeBundle, type BundleManifest, type BundleTarget } from './bundle';

export interface ExportRequest {
  model: string;
  version?: number;
  /** Default `production` when no version is given. */
  alias?: string;
  target: BundleTarget;
  out: string;
}

export interface ExportResult {
  manifest: BundleManifest;
  /** The stored manifest: the bundle's address. */
  bundle: { uri: string; sha256: string };
  out: string;
}

/** The version a request names: an explicit number, else the alias (default production). */
export async function resolveVersion(stores: Stores, req: { model: string; version?: number; alias?: string }): Promise<ModelVersion> {
  if (req.version !== undefined && req.alias !== undefined) throw new ExportError('give --version or --alias, not both');
  let version = req.version;
  if (version === undefined) {
    const alias = req.alias ?? 'production';
    version = await stores.registry.getAlias(req.model, alias);
    if (version === undefined) throw new ExportError(`model ${req.model} has no version with the alias ${alias}: pass --version N or deploy one`);
  }
  const mv = await stores.registry.getVersion(req.model, version);
  if (!mv) throw new ExportError(`model ${req.model} has no version ${version} (mlops models show ${req.model} lists them)`);
  return mv;
}

/** Stores the bundle's files and manifest content-addressed and records the export in lineage. */
export async function storeBundle(
  stores: Stores,
  mv: ModelVersion,
  manifest: BundleManifest,
  out: string,
  runKey?: string,
): Promise<{ uri: string; sha256: string }> {
  // model.onnx is already stored under models/; everything else once per distinct content, each file an
  // output in lineage too, so `mlops gc` keeps what a stored bundle needs.
  const fileRefs: { uri: string; sha256: string; type: string; properties: Record<string, unknown> }[] = [];
  for (const f of manifest.files) {
    if (f.path === 'model.onnx') continue;
    const ref = await stores.artifacts.putContent('bundles/files', '', await readFile(path.join(out, f.path)));
    fileRefs.push({ uri: ref.uri, sha256: ref.sha256, type: 'BundleFile', properties: { bytes: f.bytes } });
  }
  const ref = await stores.artifacts.putContent(`bundles/${mv.model}`, '.json', manifestBytes(manifest), 'application/json');
  await stores.lineage.recordStage({
    key: runKey ?? `export/${mv.model}/${mv.version}/${manifest.target}/${ref.sha256}`,
    stage: 'export',
    codeVersion: codeVersion(),
    contexts: [{ type: 'model', name: mv.model }],
    params: { model: mv.model, version: mv.version, target: manifest.target },
    inputs: [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }],
    outputs: [
      {
        uri: ref.uri,
        sha256: ref.sha256,
        type: 'Bundle',
        properties: { model: mv.model, version: mv.version, target: manifest.target, bytes: manifest.bytes, files: manifest.files.length },
      },
      ...fileRefs,
    ],
  });
  return { uri: ref.uri, sha256: ref.sha256 };
}

export async function exportBundle(stores: Stores, req: ExportRequest): Promise<ExportResult> {
  const mv = await resolveVersion(stores, req);
  const modelBytes = await stores.artifacts.getBuffer(stores.artifacts.keyOf(mv.uri), mv.sha256);
  const out = path.resolve(req.out);
  const manifest = await writeBundle({ mv, modelBytes, target: req.target, out });
  const bundle = await storeBundle(stores, mv, manifest, out);
  return { manifest, bundle, out };
}
