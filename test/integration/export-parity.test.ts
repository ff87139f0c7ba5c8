// The same model on three targets: the model server (HTTP), the exported edge bundle (a separate Node process
// with no stack configuration) and the exported browser bundle (onnxruntime-web's WASM in headless Chromium)
// give the same labels and probabilities within 1e-6 on 1,000 real rows (vega-datasets' Seattle weather).
// The model's name and its columns are hostile on purpose: markup, quotes that end a JS string, template
// syntax, Object.prototype members. Edge predictions reach the prediction log through the server's :log route,
// also after a stretch offline (the spool file).
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { ingest } from '../../core/data/ingest';
import { exportBundle, type ExportResult } from '../../core/export/export';
import { deployTargets } from '../../core/export/targets';
import { listTargets } from '../../core/store/targets';
import { measureServer } from '../../serving/target-costs';
import { featuresStage } from '../../core/features/stages';
import { trainStage } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import { startServing, type RunningServer } from '../../serving/main';
import { launchBrowser, watchPage } from '../support/browser';
import { isolatedStores } from '../support/isolated-stores';
import { serveFolder } from '../support/static-server';

const ROOT = path.join(__dirname, '..', '..');
const MODEL = '0.._-x';
// Seattle weather's columns renamed: date, precipitation, temp_max, temp_min, wind (the target stays weather).
const DATE = '</script><img src=x onerror=alert(1)>';
const RAIN = '"; process.exit(1); //';
const TMAX = 'constructor';
const TMIN = '${globalThis.pwned}';
const WIND = 'toString';
const COLUMNS = [DATE, RAIN, TMAX, TMIN, WIND];

type Prediction = { label: string; probabilities: Record<string, number> };

let s: Awaited<ReturnType<typeof isolatedStores>>;
let server: RunningServer;
let rows: Record<string, unknown>[];
let serverPredictions: Prediction[];
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-export-'));

const csvField = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function weatherCsv(): { file: string; rows: Record<string, unknown>[] } {
  const lines = readFileSync(path.join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv'), 'utf8').trim().split('\n');
  const body = lines.slice(1).map((l) => l.split(','));
  const file = path.join(dir, 'weather.csv');
  writeFileSync(file, [[...COLUMNS, 'weather'].map(csvField).join(','), ...body.map((f) => f.join(','))].join('\n') + '\n');
  // The first 1,000 days as raw rows: the date as its ISO text, the measurements as numbers.
  return { file, rows: body.slice(0, 1000).map((f) => Object.fromEntries(COLUMNS.map((c, i) => [c, i === 0 ? f[0]! : Number(f[i])]))) };
}

function runEdge(bundle: string, input: string, args: string[] = []): Promise<{ stdout: string; stderr: string; code: number | null }> {
  // No MLOPS_* variable, no stack address: only what a gateway box would have.
  const child = spawn(process.execPath, [path.join(bundle, 'score.mjs'), ...args], {
    cwd: bundle,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ stdout, stderr, code })));
}

/** What `npm install` gives an offline box from a local mirror: the runtime the bundle's package.json names. */
function installRuntime(bundle: string): void {
  mkdirSync(path.join(bundle, 'node_modules'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules/onnxruntime-node'), path.join(bundle, 'node_modules/onnxruntime-node'));
}

function expectSame(actual: Prediction[], expected: Prediction[]): void {
  expect(actual).toHaveLength(expected.length);
  let worst = 0;
  actual.forEach((p, i) => {
    expect(p.label, `row ${i}`).toBe(expected[i]!.label);
    expect(Object.keys(p.probabilities)).toEqual(Object.keys(expected[i]!.probabilities));
    for (const [c, v] of Object.entries(expected[i]!.probabilities)) worst = Math.max(worst, Math.abs(p.probabilities[c]! - v));
  });
  expect(worst).toBeLessThanOrEqual(1e-6);
}

beforeAll(async () => {
  s = await isolatedStores('export');
  const data = weatherCsv();
  rows = data.rows;
  const spec = parseSpec({
    name: MODEL,
    data: { uri: data.file },
    target: 'weather',
    features: {
      derive: [
        { name: 'month', op: 'month', input: DATE },
        { name: 'holiday', op: 'holiday', input: DATE },
        { name: 'hot band', op: 'bucketize', input: TMAX, boundaries: [5, 15, 25] },
        { name: 'wind band', op: 'bucketize', input: WIND, boundaries: [2, 4, 6] },
        { name: 'hot x wind', op: 'cross', inputs: ['hot band', 'wind band'] },
      ],
    },
    training: { algorithms: ['gbdt'], trials: 2, seed: 7 },
  });
  const dataset = await ingest({ uri: data.file }, { artifacts: s.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const m = await trainStage(
    { model: MODEL, runKey: 'run-1', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 20 },
  );
  await s.registry.setAlias({ model: MODEL, alias: 'production', version: m.version, actor: 'test', reason: 'parity' });
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
  const res = await fetch(`${server.url}/v1/models/${MODEL}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: rows }),
  });
  expect(res.status).toBe(200);
  serverPredictions = ((await res.json()) as { predictions: (Prediction & { id: string })[] }).predictions.map(({ label, probabilities }) => ({
    label,
    probabilities,
  }));
  // A model that answers one class for everything would make parity trivial.
  expect(new Set(serverPredictions.map((p) => p.label)).size).toBeGreaterThan(2);
}, 300_000);

afterAll(async () => {
  await server?.close();
  await s?.drop();
});

describe('exported bundles', () => {
  let edge: ExportResult;

  it('writes an edge bundle that depends on onnxruntime-node only, recorded in lineage (model → bundle)', async () => {
    edge = await exportBundle(s, { model: MODEL, target: 'edge', out: path.join(dir, 'edge') });
    expect(edge.manifest.files.map((f) => f.path)).toEqual(['README.md', 'model.json', 'model.onnx', 'package.json', 'score.mjs']);
    const pkg = JSON.parse(readFileSync(path.join(edge.out, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['onnxruntime-node']);
    const imports = [...readFileSync(path.join(edge.out, 'score.mjs'), 'utf8').matchAll(/^import .* from "([^"]+)";$/gm)].map((x) => x[1]);
    expect(imports.filter((i) => !i!.startsWith('node:'))).toEqual(['onnxruntime-node']);
    for (const f of edge.manifest.files)
      expect(
        execFileSync('sha256sum', [path.join(edge.out, f.path)])
          .toString()
          .slice(0, 64),
      ).toBe(f.sha256);
    const artifact = await s.lineage.artifactByUri(edge.bundle.uri);
    expect(artifact).toMatchObject({ type: 'Bundle', sha256: edge.bundle.sha256, properties: { target: 'edge', version: 1 } });
    const up = await s.lineage.upstream(artifact!.id);
    expect(up.executions.map((e) => e.stage)).toContain('export');
    expect(up.artifacts.find((a) => a.type === 'Model')?.sha256).toBe(edge.manifest.modelSha256);
    // Every stored file of the bundle is in lineage, so `mlops gc` keeps it.
    const referenced = await s.lineage.referencedUris();
    for (const f of edge.manifest.files.filter((x) => x.path !== 'model.onnx'))
      expect(referenced.has(s.artifacts.uri(`bundles/files/${f.sha256}`)), f.path).toBe(true);
    // The same version exported again is the same bundle (content-addressed).
    const again = await exportBundle(s, { model: MODEL, target: 'edge', out: path.join(dir, 'edge') });
    expect(again.bundle).toEqual(edge.bundle);
  }, 120_000);

  it('scores the 1,000 rows in a separate Node process like the model server', async () => {
    installRuntime(edge.out);
    const input = rows.map((r) => JSON.stringify(r)).join('\n') + '\nnot json\n{}\n';
    const { stdout, stderr, code } = await runEdge(edge.out, input);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Prediction & { error?: string });
    expect(lines).toHaveLength(1002);
    expectSame(lines.slice(0, 1000), serverPredictions);
    expect(lines[1000]!.error).toMatch(/not a JSON object/);
    expect(lines[1001]!.error).toContain(JSON.stringify(DATE));
  }, 120_000);

  it('posts its predictions to the prediction log, keeping them in a spool file while the server is away', async () => {
    const spool = path.join(dir, 'outbox.jsonl');
    const input =
      rows
        .slice(0, 30)
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n';
    const offline = await runEdge(edge.out, input, ['--log', 'http://127.0.0.1:9', '--spool', spool]);
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/30 predictions not delivered \(kept in/);
    const ids = offline.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(readFileSync(spool, 'utf8').trim().split('\n')).toHaveLength(30);
    const online = await runEdge(edge.out, input, ['--log', server.url, '--spool', spool]);
    expect(online.stderr).toBe('');
    const idsOnline = online.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(existsSync(spool)).toBe(false);
    const logged = await s.pool.query<{ id: string; version: number; output: Prediction }>(
      'SELECT id, version, output FROM predictions WHERE model = $1 AND id = ANY($2::uuid[])',
      [MODEL, [...ids, ...idsOnline]],
    );
    expect(logged.rowCount).toBe(60);
    expect(logged.rows.every((r) => r.version === 1)).toBe(true);
    const first = logged.rows.find((r) => r.id === ids[0]);
    expect(first?.output.label).toBe(serverPredictions[0]!.label);
  }, 120_000);

  it('scores the 1,000 rows in headless Chromium with the WASM runtime it ships, fetching nothing else', async () => {
    const web = await exportBundle(s, { model: MODEL, target: 'browser', out: path.join(dir, 'browser') });
    expect(web.manifest.files.map((f) => f.path)).toEqual([
      'README.md',
      'index.html',
      'model.json',
      'model.onnx',
      'ort/ort-wasm-simd-threaded.mjs',
      'ort/ort-wasm-simd-threaded.wasm',
      'ort/ort.wasm.min.mjs',
      'score.mjs',
    ]);
    const files = await serveFolder(web.out);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const { problems } = watchPage(page);
      const dialogs: string[] = [];
      page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
      const foreign: string[] = [];
      page.on('request', (r) => void (r.url().startsWith(files.url) || foreign.push(r.url())));
      await page.goto(`${files.url}/index.html`);
      await page.waitForSelector('#score:not([disabled])', { timeout: 60_000 });
      // The import is a string: vitest would rewrite an import() written in this file.
      const mod = await page.evaluateHandle("import(new URL('score.mjs', location.href).href)");
      const scored = await page.evaluate(([m, input]) => (m as unknown as { score: (r: unknown[]) => Promise<unknown[]> }).score(input), [mod, rows] as const);
      expectSame(scored as Prediction[], serverPredictions);
      // The demo form: one field per raw column, labelled with the name as text.
      const labels = await page.locator('label').allTextContents();
      expect([...labels].sort()).toEqual([...COLUMNS].sort());
      const inputs = page.locator('form input');
      const first = rows[0]!;
      for (let i = 0; i < labels.length; i++) await inputs.nth(i).fill(String(first[labels[i]!]));
      await page.click('#score');
      await page.waitForFunction(`document.getElementById('result').textContent.includes('"label"')`);
      const shown = JSON.parse((await page.textContent('#result'))!) as Prediction;
      expect(shown.label).toBe(serverPredictions[0]!.label);
      expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      expect(dialogs).toEqual([]);
      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);
      expect(files.requested).toContain('/ort/ort-wasm-simd-threaded.wasm');
    } finally {
      await browser.close();
      await files.close();
    }
  }, 180_000);
});

describe('deploy targets', () => {
  it('measures every target, records the costs with the version, and never blesses a bundle too big for its target', async () => {
    const deployed = await deployTargets(
      s,
      {
        model: MODEL,
        version: 1,
        targets: ['server', 'edge', 'browser'],
        gates: { maxBundleBytes: { browser: 1_000_000 }, maxEdgeP99Ms: null },
        actor: 'test',
        reason: 'targets',
      },
      { measureServer },
    );
    expect(deployed.map((t) => [t.target, t.blessed, t.alias])).toEqual([
      ['server', true, null],
      ['edge', true, 'edge'],
      ['browser', false, null],
    ]);
    const browser = deployed[2]!;
    expect(browser.reasons[0]).toMatch(/^browser bundle is \d+ bytes, over gates.maxBundleBytes 1000000$/);
    expect(await s.registry.getAlias(MODEL, 'edge')).toBe(1);
    expect(await s.registry.getAlias(MODEL, 'browser')).toBeUndefined();
    const stored = await listTargets(s.pool, MODEL, 1);
    expect(stored.map((t) => t.target)).toEqual(['server', 'edge', 'browser']);
    for (const t of stored) {
      const c = t.costs;
      if ('unmeasured' in c) throw new Error(`${t.target} was not measured: ${c.unmeasured}`);
      expect(c.modelBytes).toBeGreaterThan(0);
      expect(c.loadMs).toBeGreaterThan(0);
      expect(c.singleRow.p99Ms).toBeGreaterThanOrEqual(c.singleRow.p50Ms);
      expect(c.throughput.rowsPerSecond).toBeGreaterThan(0);
    }
    const [server, edge, web] = stored.map((t) => t.costs as { bundleBytes: number | null; modelBytes: number; peakRssBytes?: number });
    expect(server!.bundleBytes).toBeNull();
    // The browser ships the WASM runtime; the edge bundle leaves onnxruntime-node to npm.
    expect(web!.bundleBytes).toBeGreaterThan(5_000_000);
    expect(edge!.bundleBytes).toBeLessThan(1_000_000);
    expect(edge!.peakRssBytes).toBeGreaterThan(10_000_000);
    // `mlops models show` prints them.
    const out = execFileSync(process.execPath, [path.join(ROOT, 'bin/mlops.js'), 'models', 'show', MODEL], {
      env: { ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix },
    }).toString();
    expect(out).toMatch(
      /edge +blessed; model [\d.]+ kB, bundle [\d.]+ kB; load \d+ ms, single row p50 [\d.]+ ms p99 [\d.]+ ms, \d+ rows\/s, peak RSS [\d.]+ MB/,
    );
    expect(out).toMatch(/browser NOT blessed \(browser bundle is \d+ bytes, over gates.maxBundleBytes 1000000\)/);
  }, 240_000);
});
