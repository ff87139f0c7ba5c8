// What running a model version costs on each deployment target, measured on this machine with the version's
// own training reference rows: model and bundle size, time to load the model, single-row latency p50/p99,
// throughput (rows/s in batches of 1,000), and the edge scorer's peak memory. Edge runs `score.mjs --bench`
// in a separate Node process; browser runs the bundle's own bench() in headless Chromium (WASM) when a
// Chromium is installed; the server side is measured in serving/target-costs.ts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { ReferenceSample } from '../monitor/reference';
import type { DeployTarget } from '../spec';
import type { Stores } from '../store';
import type { ModelVersion } from '../store/registry';
import type { BundleManifest } from './bundle';
import { serveBundle } from './serve-bundle';
import type { ScoringBench } from './runtime/bench';

export type { DeployTarget };

export interface TargetCosts extends ScoringBench {
  target: DeployTarget;
  modelBytes: number;
  /** Bytes a device receives (the bundle's files); null for the server. */
  bundleBytes: number | null;
  loadMs: number;
  /** Edge: the scorer process's peak resident set. */
  peakRssBytes?: number;
  runtime: string;
  /** How it was measured. */
  via: string;
}

/** A target that could not be measured here (no Chromium, say): sizes only, and why. */
export interface UnmeasuredTarget {
  target: DeployTarget;
  modelBytes: number;
  bundleBytes: number | null;
  unmeasured: string;
}

export type TargetCostsResult = TargetCosts | UnmeasuredTarget;

const resolveHere = createRequire(__filename);

export const COST_ROWS = 1000;

/** Up to 1,000 raw rows from the version's training reference (fields it does not hold are null). */
export async function costRows(stores: Stores, mv: ModelVersion, fields: [string, string][]): Promise<Record<string, unknown>[]> {
  const p = mv.properties as { referenceUri?: string; referenceSha256?: string };
  const sample: ReferenceSample | undefined = p.referenceUri
    ? (JSON.parse((await stores.artifacts.getBuffer(stores.artifacts.keyOf(p.referenceUri), p.referenceSha256)).toString('utf8')) as ReferenceSample)
    : undefined;
  const byName = new Map((sample?.columns ?? []).map((c) => [c.name, c.values as unknown[]]));
  const n = Math.max(1, Math.min(COST_ROWS, sample?.rows ?? 1));
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const [f] of fields) row[f] = byName.get(f)?.[i] ?? null;
    return row;
  });
}

function runNode(script: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(script)} --bench exited with ${code}: ${err.trim().slice(0, 500)}`)),
    );
  });
}

/** Edge: `node score.mjs --bench` in a fresh process, from a copy of the bundle with the runtime installed. */
export async function measureEdge(bundleDir: string, manifest: BundleManifest, rows: Record<string, unknown>[]): Promise<TargetCosts> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-edge-cost-'));
  try {
    // A copy of the bundle (Node resolves a linked script's imports from where it really lies), and
    // onnxruntime-node where `npm install` would put it.
    for (const f of manifest.files) await copyFile(path.join(bundleDir, f.path), path.join(work, f.path));
    await mkdir(path.join(work, 'node_modules'));
    await symlink(packageDir('onnxruntime-node'), path.join(work, 'node_modules', 'onnxruntime-node'), 'dir');
    await writeFile(path.join(work, 'rows.json'), JSON.stringify(rows));
    const out = JSON.parse(await runNode(path.join(work, 'score.mjs'), ['--bench', 'rows.json'], work)) as ScoringBench & {
      loadMs: number;
      peakRssBytes: number;
      runtime: string;
    };
    return {
      target: 'edge',
      modelBytes: sizeOf(manifest, 'model.onnx'),
      bundleBytes: manifest.bytes,
      loadMs: out.loadMs,
      singleRow: out.singleRow,
      throughput: out.throughput,
      peakRssBytes: out.peakRssBytes,
      runtime: out.runtime,
      via: 'score.mjs --bench in a separate Node process',
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function sizeOf(manifest: BundleManifest, file: string): number {
  return manifest.files.find((f) => f.path === file)?.bytes ?? 0;
}

export const CHROMIUM = (): string => process.env.MLOPS_CHROMIUM || '/usr/bin/chromium';

/** Browser: the bundle served on loopback, its bench() run in headless Chromium (onnxruntime-web, WASM, one thread). */
export async function measureBrowser(bundleDir: string, manifest: BundleManifest, rows: Record<string, unknown>[]): Promise<TargetCostsResult> {
  const sizes = { target: 'browser' as const, modelBytes: sizeOf(manifest, 'model.onnx'), bundleBytes: manifest.bytes };
  if (!existsSync(CHROMIUM()))
    return { ...sizes, unmeasured: `no Chromium at ${CHROMIUM()} (node scripts/setup.mjs --browser installs it; MLOPS_CHROMIUM names another)` };
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    return { ...sizes, unmeasured: 'playwright-core is not installed (a development dependency)' };
  }
  const files = await serveBundle(bundleDir);
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${files.url}/model.json`);
    const mod = await page.evaluateHandle(`import(new URL('score.mjs', location.href).href)`);
    const out = (await page.evaluate(([m, input]) => (m as unknown as { bench: (r: unknown[]) => Promise<unknown> }).bench(input), [
      mod,
      rows,
    ] as const)) as ScoringBench & { loadMs: number };
    return {
      ...sizes,
      loadMs: out.loadMs,
      singleRow: out.singleRow,
      throughput: out.throughput,
      runtime: `onnxruntime-web ${packageVersion('onnxruntime-web')} (WASM) in Chromium ${browser.version()}`,
      via: 'bench() of score.mjs in headless Chromium',
    };
  } finally {
    await browser.close();
    await files.close();
  }
}

/** The folder of an installed package (its package.json may not be exported). */
function packageDir(name: string): string {
  let dir = path.dirname(resolveHere.resolve(name));
  while (path.basename(dir) !== name) {
    if (path.dirname(dir) === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = path.dirname(dir);
  }
  return dir;
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}
