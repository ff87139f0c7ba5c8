// The deploy stage's targets beyond the alias move: for each of deploy.targets, the bundle written and stored
// (edge, browser), the costs measured, the target's gates applied, and the verdict recorded with the version.
// A version blessed for a target takes that target's alias (`edge`, `browser`): `mlops export --alias edge`
// then gives devices the newest version that fits them; a version too big or slow for a target never gets it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GateSpec } from '../spec';
import type { Stores } from '../store';
import type { ModelVersion } from '../store/registry';
import { recordTarget, type TargetRecord } from '../store/targets';
import { bundleModel, writeBundle } from './bundle';
import { costRows, measureBrowser, measureEdge, type DeployTarget, type TargetCosts } from './costs';

export type { DeployTarget };
import { storeBundle } from './export';
import { targetVerdict } from './gates';

export interface TargetDeployment extends Omit<TargetRecord, 'measuredAt' | 'model' | 'version'> {
  /** The target alias moved to this version (null: server, or not blessed for the target). */
  alias: string | null;
}

export type MeasureServer = (stores: Stores, mv: ModelVersion, modelBytes: number, rows: Record<string, unknown>[]) => Promise<TargetCosts>;

export async function deployTargets(
  stores: Stores,
  input: { model: string; version: number; targets: DeployTarget[]; gates: Pick<GateSpec, 'maxBundleBytes' | 'maxEdgeP99Ms'>; actor: string; reason: string },
  deps: { measureServer: MeasureServer; progress?: (message: string) => void },
): Promise<TargetDeployment[]> {
  const mv = await stores.registry.getVersion(input.model, input.version);
  if (!mv) throw new Error(`model ${input.model} has no version ${input.version}`);
  const modelBytes = await stores.artifacts.getBuffer(stores.artifacts.keyOf(mv.uri), mv.sha256);
  const rows = await costRows(stores, mv, bundleModel(mv, 'edge').fields);
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-targets-'));
  const out: TargetDeployment[] = [];
  try {
    for (const target of input.targets) {
      deps.progress?.(`${target}: ${target === 'server' ? 'measuring' : 'writing the bundle'}`);
      let bundle: TargetDeployment['bundle'] = null;
      let costs: TargetDeployment['costs'];
      if (target === 'server') costs = await deps.measureServer(stores, mv, modelBytes.length, rows);
      else {
        const dir = path.join(work, target);
        const manifest = await writeBundle({ mv, modelBytes, target, out: dir });
        bundle = await storeBundle(stores, mv, manifest, dir);
        deps.progress?.(`${target}: measuring`);
        costs = target === 'edge' ? await measureEdge(dir, manifest, rows) : await measureBrowser(dir, manifest, rows);
      }
      const verdict = targetVerdict(costs, input.gates);
      await recordTarget(stores.pool, { model: mv.model, version: mv.version, target, bundle, costs, ...verdict });
      let alias: string | null = null;
      if (target !== 'server' && verdict.blessed) {
        await stores.registry.setAlias({
          model: mv.model,
          alias: target,
          version: mv.version,
          actor: input.actor,
          reason: input.reason,
          details: { bundle, costs },
        });
        alias = target;
      }
      out.push({ target, bundle, costs, ...verdict, alias });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}
