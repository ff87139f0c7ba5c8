// The web console in headless Chromium, after real pipeline runs on the real stack: a binary model trained
// twice (curves, calibration, confusion, fairness slices, compare) on data with a column named like an XSS
// payload, a regression model (residuals), a multiclass model (a curve per class), and a drift check of
// shifted traffic; then a running A/B test of the two binary versions on the model server with real traffic and
// feedback, and the monitor's performance estimates (CBPE) of that traffic. Every page must render the runs'
// data with the expected number of chart marks, no console error and no failed request; screenshots go to
// test-output/console (MLOPS_TEST_OUTPUT overrides the folder).
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type RunningConsole } from '../../console/main';
import { loadConfig } from '../../core/config';
import { writeSynthCsv } from '../../core/data/synth';
import type { EvaluationReport } from '../../core/ml/evaluation-report';
import { checkModelDrift } from '../../core/monitor/check';
import { startServing, type RunningServer } from '../../serving/main';
import { abStatusQuery, abWorkflowId, ctWorkflowId, driftWorkflowId, type RolloutInput, type RunResult, workflows } from '../../workflows/contracts';
import { launchBrowser, watchPage } from '../support/browser';
import { isolatedStores } from '../support/isolated-stores';
import { logSynthTraffic, readSynthRows, serveSynthRows } from '../support/synth-traffic';
import { waitFor } from '../support/wait';
import { startTestWorker, type TestWorker } from '../support/worker';

const XSS = '<img src=x onerror=alert(1)>';
const suffix = randomBytes(3).toString('hex');
const churnModel = `console-churn-${suffix}`;
const chargesModel = `console-charges-${suffix}`;
const weatherModel = `console-weather-${suffix}`;
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-console-'));
const shots = path.join(process.env.MLOPS_TEST_OUTPUT ?? path.join(__dirname, '..', '..', 'test-output'), 'console');

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let consoleApp: RunningConsole;
let server: RunningServer;
let browser: Browser;
let runs: { v1: RunResult & { dataset: NonNullable<RunResult['dataset']> }; v2: RunResult; charges: RunResult; weather: RunResult };

/** A synthetic churn CSV plus a numeric column whose name is an HTML payload. */
async function churnCsv(file: string, rows: number, seed: number, drift = 0): Promise<void> {
  const plain = `${file}.plain.csv`;
  await writeSynthCsv(plain, { rows, seed, drift });
  const [header, ...lines] = readFileSync(plain, 'utf8').trim().split('\n');
  writeFileSync(file, [`${header},${XSS}`, ...lines.map((l, i) => `${l},${(i * 7919) % 13}`)].join('\n') + '\n');
}

async function ct(model: string, input: Record<string, unknown>): Promise<RunResult> {
  return (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(model),
    taskQueue: w.taskQueue,
    args: [{ ...input, name: model }],
  })) as RunResult;
}

beforeAll(async () => {
  s = await isolatedStores('console');
  const config = loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix });
  server = await startServing(config, { address: `127.0.0.1:${randomInt(20000, 29999)}` });
  w = await startTestWorker(s, 'console', { serveUrl: server.url });
  const data = path.join(dir, 'churn.csv');
  const traffic = path.join(dir, 'traffic.csv');
  await churnCsv(data, 3000, 11);
  await churnCsv(traffic, 400, 12, 1);
  // The drift monitor's own checks stay out of the way (the test runs the checks it draws).
  const base = {
    data: { uri: data },
    target: 'churned',
    features: { exclude: ['customer_id'] },
    governance: { protected: ['region'] },
    monitor: { interval: 86_400 },
  };
  const v1 = await ct(churnModel, base);
  const v2 = await ct(churnModel, { ...base, training: { seed: 7, l2: [0.1] } });
  const charges = await ct(chargesModel, { data: { uri: data }, target: 'monthly_charges', features: { exclude: ['customer_id', 'churned'] } });
  const weatherRun = await ct(weatherModel, {
    data: { uri: weather },
    target: 'weather',
    features: { derive: [{ name: 'month', op: 'month', input: 'date' }] },
  });
  runs = { v1: v1 as typeof runs.v1, v2, charges, weather: weatherRun };
  // Shifted production traffic as the model server logs it, then the monitor's own check of it.
  await logSynthTraffic(s.pool, churnModel, (await s.registry.getAlias(churnModel, 'production'))!, traffic);
  const check = await checkModelDrift({ model: churnModel, windowSeconds: 3600, minRows: 50 }, s);
  expect(check.enough).toBe(true);
  consoleApp = await startConsole(config, { address: `127.0.0.1:${randomInt(30000, 39999)}` });
  browser = await launchBrowser();
  mkdirSync(shots, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await consoleApp?.close();
  for (const id of [abWorkflowId(churnModel), ...[churnModel, chargesModel, weatherModel].map(driftWorkflowId)])
    await w?.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await w?.stop();
  await server?.close();
  await s?.drop();
});

/** Opens a console page, waits for its charts, and returns the page with what went wrong on it and the data its charts were drawn from. */
async function open(urlPath: string, shot: string): Promise<{ page: Page; problems: string[]; api: Promise<{ data: unknown } | null> }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const api = page
    .waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/'))
    .then(async (r) => (await r.json()) as { data: unknown })
    .catch(() => null);
  const { problems } = watchPage(page);
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  const res = await page.goto(`${consoleApp.url}${urlPath}`);
  expect(res?.status(), urlPath).toBe(200);
  await page.waitForSelector('body[data-charts-ready]', { timeout: 30_000 });
  expect(await page.getAttribute('body', 'data-charts-ready')).toBe('true');
  await page.screenshot({ path: path.join(shots, `${shot}.png`), fullPage: true });
  return { page, problems, api };
}

async function evaluationOf(model: string, version: number) {
  const mv = (await s.registry.getVersion(model, version))!;
  const report = JSON.parse((await s.artifacts.getBuffer(s.artifacts.keyOf(mv.properties.evaluationUri as string))).toString()) as EvaluationReport;
  return { mv, report };
}

const marks = (page: Page, chart: string, mark: string) => page.locator(`[data-chart="${chart}"] .mark-${mark}.role-mark path`).count();

describe('web console', () => {
  it('lists every model with their production versions, last runs and drift', async () => {
    const { page, problems } = await open('/models', 'models');
    const rows = page.locator('#models tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    const churn = await page.locator('#models tr', { hasText: churnModel }).innerText();
    expect(churn).toContain(`v${await s.registry.getAlias(churnModel, 'production')}`);
    expect(churn).toContain('drift');
    expect(churn).toContain('deploy complete');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a model: its versions with metrics, the alias timeline, and Temporal UI links that resolve', async () => {
    const { page, problems } = await open(`/models/${churnModel}`, 'model');
    await expect(page.locator('#versions tbody tr').count()).resolves.toBe(2);
    const history = await s.registry.aliasHistory(churnModel);
    await expect(page.locator('#alias-history tbody tr').count()).resolves.toBe(history.length);
    expect(await marks(page, 'alias-timeline', 'line')).toBe(new Set(history.map((m) => m.alias)).size);
    expect(await page.locator('#versions').innerText()).toContain(String(Number((runs.v1.model!.metrics.roc_auc as number).toPrecision(4))));
    const links = await page.locator('a.temporal').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
    expect(links.length).toBeGreaterThanOrEqual(4);
    for (const link of links) expect((await page.request.get(link)).status(), link).toBe(200);
    expect(problems).toEqual([]);
    // The run link opens the run in the Temporal UI.
    const ui = await browser.newPage();
    await ui.goto(links.find((l) => l.includes(encodeURIComponent(runs.v1.runId)))!);
    await ui.getByText(runs.v1.workflowId).first().waitFor({ timeout: 30_000 });
    await ui.close();
    await page.close();
  });

  it('shows a binary version: curves, calibration, confusion matrix, slices, importance, dataset schema with the XSS column as text', async () => {
    const v = runs.v1.model!.version;
    const { mv, report } = await evaluationOf(churnModel, v);
    const { page, problems } = await open(`/models/${churnModel}/versions/${v}`, 'version-binary');
    expect(await marks(page, 'roc', 'line')).toBe(1);
    expect(await marks(page, 'pr', 'line')).toBe(1);
    expect(await marks(page, 'calibration', 'symbol')).toBe(report.calibration!.length);
    expect(await marks(page, 'confusion', 'rect')).toBe(4);
    expect(await marks(page, 'slices', 'rect')).toBe(report.slices.length);
    expect(await marks(page, 'importance-gain', 'rect')).toBe(Object.keys(mv.properties.importance as object).length);
    expect(await marks(page, 'importance-permutation', 'rect')).toBe(Object.keys(mv.properties.permutationImportance as object).length);
    const activities = await page.locator('#activities tbody tr').count();
    expect(activities).toBeGreaterThanOrEqual(8);
    expect(await marks(page, 'stages', 'rect')).toBe(activities);
    expect(await page.locator('#activities').innerText()).toMatch(/trainModel|train/);
    expect(report.slices.some((x) => x.attribute === 'region')).toBe(true);
    await expect(page.locator('#slices tbody tr').count()).resolves.toBe(report.slices.length);
    await expect(page.locator('#fairness').innerText()).resolves.toContain('region');
    // The column named like markup is a table cell's text, never an element.
    await expect(page.locator('#schema td', { hasText: XSS }).count()).resolves.toBe(1);
    expect(await page.locator('main img').count()).toBe(0);
    const text = await page.locator('main').innerText();
    expect(text).toContain(runs.v1.dataset.sha256);
    expect(text).toContain(String(runs.v1.dataset.rows));
    expect(text).toContain(mv.properties.codeVersion as string);
    expect(text).not.toContain(loadConfig().s3.secretKey);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a regression version with residuals and no classification charts', async () => {
    const { report } = await evaluationOf(chargesModel, runs.charges.model!.version);
    expect(report.task).toBe('regression');
    const { page, problems } = await open(`/models/${chargesModel}/versions/${runs.charges.model!.version}`, 'version-regression');
    expect(await marks(page, 'residuals', 'symbol')).toBe(Math.min(1000, report.rows));
    expect(await page.locator('[data-chart="roc"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a multiclass version with one-vs-rest curves per class and the full confusion matrix', async () => {
    const { report } = await evaluationOf(weatherModel, runs.weather.model!.version);
    const k = report.classes.length;
    expect(k).toBeGreaterThanOrEqual(3);
    const { page, problems } = await open(`/models/${weatherModel}/versions/${runs.weather.model!.version}`, 'version-multiclass');
    expect(await marks(page, 'roc', 'line')).toBe(k);
    expect(await marks(page, 'pr', 'line')).toBe(k);
    expect(await marks(page, 'confusion', 'rect')).toBe(k * k);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('compares two versions with overlaid curves and the params that differ', async () => {
    const { page, problems } = await open(`/compare?model=${churnModel}&v=1&v=2`, 'compare');
    expect(await marks(page, 'roc', 'line')).toBe(2);
    expect(await marks(page, 'pr', 'line')).toBe(2);
    expect(await page.locator('#compare-params').innerText()).toContain('params.l2');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws the lineage upstream of a version and downstream of its dataset, every node a working link', async () => {
    const { page, problems } = await open(`/models/${churnModel}/versions/1/lineage`, 'lineage-version');
    const nodes = await page.locator('#lineage-nodes tbody tr').count();
    expect(nodes).toBeGreaterThanOrEqual(5);
    expect(await marks(page, 'lineage', 'symbol')).toBe(nodes);
    const kinds = await page.locator('#lineage-nodes').innerText();
    for (const want of ['Dataset', 'FeaturePlan', 'Model', 'ingest', 'train']) expect(kinds).toContain(want);
    const hrefs = await page.locator('#lineage-nodes a').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
    for (const href of hrefs) expect((await page.request.get(href)).status(), href).toBe(200);
    expect(problems).toEqual([]);
    await page.close();
    const down = await open(`/datasets/${runs.v1.dataset.sha256}/lineage`, 'lineage-dataset');
    const text = await down.page.locator('#lineage-nodes').innerText();
    expect(text).toContain('Model');
    expect(down.problems).toEqual([]);
    await down.page.close();
  });

  it('shows drift over time and a report with reference vs current histograms of every column', async () => {
    const rows = await s.pool.query('SELECT id, columns FROM drift_reports WHERE model = $1', [churnModel]);
    expect(rows.rows).toHaveLength(1);
    const columns = rows.rows[0].columns as { name: string; drifted: boolean; histogram: { bars: unknown[] } }[];
    const { page, problems } = await open(`/models/${churnModel}/drift`, 'drift');
    expect(await marks(page, 'statistic', 'line')).toBe(columns.length);
    await expect(page.locator('#drift-reports tbody tr').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
    await page.close();
    const report = await open(`/models/${churnModel}/drift/${rows.rows[0].id}`, 'drift-report');
    expect(columns.map((c) => c.name)).toContain(XSS);
    expect(columns.some((c) => c.drifted)).toBe(true);
    for (let i = 0; i < columns.length; i++) expect(await marks(report.page, `hist-${i}`, 'rect')).toBe(2 * columns[i]!.histogram.bars.length);
    await expect(report.page.locator('#drift-columns td', { hasText: XSS }).count()).resolves.toBe(1);
    expect(await report.page.locator('main img').count()).toBe(0);
    expect(report.problems).toEqual([]);
    await report.page.close();
  });

  it('lists feature sets and answers unknown pages and writes with 404 and 405', async () => {
    const { page, problems } = await open('/feature-sets', 'feature-sets');
    await expect(page.locator('main').innerText()).resolves.toContain('No feature set applied yet');
    expect(problems).toEqual([]);
    await page.close();
    expect((await fetch(`${consoleApp.url}/models/${churnModel}/versions/99`)).status).toBe(404);
    expect((await fetch(`${consoleApp.url}/models/${encodeURIComponent(XSS)}`)).status).toBe(404);
    expect((await fetch(`${consoleApp.url}/models`, { method: 'POST' })).status).toBe(405);
  });
});

describe('web console with a running A/B test and performance estimates', () => {
  const served = { champion: { trials: 0, successes: 0 }, challenger: { trials: 0, successes: 0 } };
  let champion: number;
  let challenger: number;

  beforeAll(async () => {
    champion = (await s.registry.getAlias(churnModel, 'production'))!;
    challenger = champion === runs.v1.model!.version ? runs.v2.model!.version : runs.v1.model!.version;
    // A tiny alpha keeps two equally good versions undecided: the test is still running when the page is read.
    const input: RolloutInput = {
      model: churnModel,
      champion,
      challenger,
      strategy: 'ab',
      share: 0.5,
      test: { alpha: 1e-6, power: 0.8, minimumDetectableEffect: 0.05, rule: 'sequential', minSamples: 50, interval: 2, maxDuration: 3600 },
      requestedBy: 'console test',
    };
    await w.client.workflow.start(workflows.abTest, { workflowId: abWorkflowId(churnModel), taskQueue: w.taskQueue, args: [input] });
    await waitFor(
      'the challenger served',
      async () =>
        ((await (await fetch(`${server.url}/v1/models/${churnModel}`)).json()) as { challenger?: { version: number } }).challenger?.version === challenger ||
        undefined,
    );
    const file = path.join(dir, 'ab-traffic.csv');
    await churnCsv(file, 600, 13);
    const rows = readSynthRows(file);
    // Two monitor windows, each estimated from its served probabilities before any label, then the labels.
    const labels: { id: string; label: string }[] = [];
    for (const [k, window] of [rows.slice(0, 300), rows.slice(300)].entries()) {
      const start = Date.now();
      for (const p of await serveSynthRows(server.url, s.pool, churnModel, window, `window-${k}`)) {
        expect(Object.keys(served)).toContain(p.arm);
        const arm = served[p.arm as keyof typeof served];
        arm.trials++;
        if (p.predicted === p.label) arm.successes++;
        labels.push({ id: p.id, label: p.label });
      }
      const check = await checkModelDrift({ model: churnModel, windowSeconds: (Date.now() - start) / 1000 + 0.5, minRows: 50 }, s);
      expect(check.estimate?.rows).toBeGreaterThanOrEqual(50);
      await new Promise((r) => setTimeout(r, 1200));
    }
    for (let i = 0; i < labels.length; i += 200) {
      const res = await fetch(`${server.url}/v1/models/${churnModel}:feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ labels: labels.slice(i, i + 200) }),
      });
      expect(res.status).toBe(200);
    }
    const later = await checkModelDrift({ model: churnModel, windowSeconds: 1, minRows: 100_000 }, s);
    expect(later.realised).toHaveLength(2);
    // Two checks that have counted every outcome, so both p-values have more than one point.
    const status = () => w.client.workflow.getHandle(abWorkflowId(churnModel)).query(abStatusQuery);
    const counted = await waitFor('an A/B check with every outcome', async () => {
      const st = await status();
      const n = st.last?.numbers;
      return n && n.controlTrials + n.treatmentTrials === labels.length ? st.checks : undefined;
    });
    await waitFor('one more A/B check', async () => ((await status()).checks > counted ? true : undefined));
  }, 300_000);

  it('shows the running A/B test: its arms, their outcome counts and the p-values of every check', async () => {
    const handle = w.client.workflow.getHandle(abWorkflowId(churnModel));
    const before = (await handle.query(abStatusQuery)).checks;
    const { page, problems, api } = await open(`/models/${churnModel}`, 'model-ab-test');
    const after = (await handle.query(abStatusQuery)).checks;
    const arms = page.locator('#ab-arms tbody tr');
    await expect(arms.count()).resolves.toBe(2);
    const cells = async (i: number) => (await arms.nth(i).locator('td').allInnerTexts()).map((t) => t.trim());
    expect((await cells(0)).slice(0, 4)).toEqual(['champion', `v${champion}`, String(served.champion.trials), String(served.champion.successes)]);
    expect((await cells(1)).slice(0, 4)).toEqual(['challenger', `v${challenger}`, String(served.challenger.trials), String(served.challenger.successes)]);
    expect(served.champion.trials).toBeGreaterThan(100);
    expect(served.challenger.trials).toBeGreaterThan(100);
    expect(await page.locator('main').innerText()).toContain('running');
    const checks = ((await api)!.data as { abTest: { checks: { numbers: { alwaysValidPValue?: number; pValue?: number } }[] } }).abTest.checks;
    expect(checks.length).toBeGreaterThanOrEqual(Math.max(2, before));
    expect(checks.length).toBeLessThanOrEqual(after);
    // One line per p-value (always-valid, fixed-horizon), one point per check that has it.
    expect(await marks(page, 'ab-pvalue', 'line')).toBe(2);
    const fixed = checks.filter((c) => c.numbers.pValue !== undefined).length;
    expect(fixed).toBeGreaterThanOrEqual(2);
    const points = checks.filter((c) => c.numbers.alwaysValidPValue !== undefined).length + fixed;
    expect(await marks(page, 'ab-pvalue', 'symbol')).toBe(points);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws the performance estimate (CBPE) over time with its band, and the latest estimate against the realised metric', async () => {
    const stored = await s.pool.query<{ estimated: Record<string, number | null>; realised: Record<string, number | null> | null }>(
      'SELECT estimated, realised FROM performance_estimates WHERE model = $1 ORDER BY at, id',
      [churnModel],
    );
    expect(stored.rows).toHaveLength(2);
    const metrics = ['accuracy', 'f1', 'roc_auc'];
    const estimated = stored.rows.flatMap((r) => metrics.filter((k) => typeof r.estimated[k] === 'number'));
    const realised = stored.rows.flatMap((r) => metrics.filter((k) => typeof r.realised?.[k] === 'number'));
    expect(realised.length).toBeGreaterThan(0);
    const { page, problems } = await open(`/models/${churnModel}/drift`, 'drift-cbpe');
    expect(await marks(page, 'estimate', 'line')).toBe(metrics.length);
    expect(await marks(page, 'estimate', 'area')).toBe(metrics.length);
    expect(await marks(page, 'estimate', 'symbol')).toBe(estimated.length + realised.length);
    const latest = stored.rows.at(-1)!;
    const table = await page.locator('#cbpe-latest').innerText();
    for (const k of metrics) {
      expect(table).toContain(String(Number(latest.estimated[k]!.toPrecision(4))));
      expect(table).toContain(String(Number(latest.realised![k]!.toPrecision(4))));
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});
