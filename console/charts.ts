// Vega-Lite specs the pages draw. Data is inline (small: curves are thinned, histograms binned); the client
// layer hands each spec to vega-embed with the SVG renderer and no action menu (which would link out).
export type Spec = Record<string, unknown>;

const W = 420;
const H = 260;
const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function base(values: unknown[], extra: Spec): Spec {
  return { $schema: VL_SCHEMA, width: W, height: H, data: { values }, ...extra };
}

const unit = { type: 'quantitative', scale: { domain: [0, 1] } };

export interface Series<T> {
  name: string;
  points: T[];
}

/** One line per series (a version) through x/y points. */
function lines<T extends object>(series: Series<T>[], x: string, y: string, xTitle: string, yTitle: string, seriesTitle: string): Spec {
  const values = series.flatMap((s) => s.points.map((p) => ({ ...p, series: s.name })));
  return base(values, {
    mark: { type: 'line', interpolate: 'linear' },
    encoding: {
      x: { field: x, title: xTitle, ...unit },
      y: { field: y, title: yTitle, ...unit },
      color: { field: 'series', type: 'nominal', title: seriesTitle },
      order: { field: x, type: 'quantitative' },
    },
  });
}

export function rocChart(series: Series<{ fpr: number; tpr: number }>[], seriesTitle = 'version'): Spec {
  return lines(series, 'fpr', 'tpr', 'false positive rate', 'true positive rate', seriesTitle);
}

export function prChart(series: Series<{ recall: number; precision: number }>[], seriesTitle = 'version'): Spec {
  const spec = lines(series, 'recall', 'precision', 'recall', 'precision', seriesTitle);
  (spec.encoding as Spec).order = { field: 'recall', type: 'quantitative' };
  return spec;
}

export function calibrationChart(bins: { meanPredicted: number; observedRate: number; count: number }[]): Spec {
  return base(bins, {
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', ...unit }, y: { field: 'y', ...unit } },
      },
      {
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'meanPredicted', title: 'mean predicted probability', ...unit },
          y: { field: 'observedRate', title: 'observed positive rate', ...unit },
          size: { field: 'count', type: 'quantitative', title: 'rows' },
          tooltip: [{ field: 'meanPredicted', format: '.3f' }, { field: 'observedRate', format: '.3f' }, { field: 'count' }],
        },
      },
    ],
  });
}

export function confusionChart(matrix: number[][], classes: string[]): Spec {
  const values = matrix.flatMap((row, r) => row.map((count, c) => ({ actual: classes[r] ?? String(r), predicted: classes[c] ?? String(c), count })));
  return base(values, {
    width: 260,
    height: 260,
    encoding: { x: { field: 'predicted', type: 'nominal', sort: classes }, y: { field: 'actual', type: 'nominal', sort: classes } },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', legend: null } } },
      { mark: { type: 'text', fontSize: 14 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { value: '#000' } } },
    ],
  });
}

export function residualsChart(points: { actual: number; predicted: number }[]): Spec {
  const values = points.map((p) => ({ predicted: p.predicted, residual: p.actual - p.predicted }));
  return base(values, {
    mark: { type: 'point', opacity: 0.5 },
    encoding: {
      x: { field: 'predicted', type: 'quantitative', scale: { zero: false } },
      y: { field: 'residual', type: 'quantitative', title: 'actual − predicted' },
    },
  });
}

/** Horizontal bars, largest first (feature importance, a metric per slice). */
export function barChart(values: { label: string; value: number; group?: string }[], title: string): Spec {
  return base(values, {
    height: { step: 18 },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', sort: '-x', title: null },
      x: { field: 'value', type: 'quantitative', title },
      ...(values.some((v) => v.group !== undefined) ? { color: { field: 'group', type: 'nominal', title: 'attribute' } } : {}),
      tooltip: [{ field: 'label' }, { field: 'value', format: '.4f' }],
    },
  });
}

/** A value over time, one line (with points) per series. */
export function timeChart(values: { at: string; series: string; value: number | null }[], title: string, opts: { log?: boolean } = {}): Spec {
  return base(
    values.filter((v) => v.value !== null && Number.isFinite(v.value)),
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'at', type: 'temporal', title: 'time' },
        y: { field: 'value', type: 'quantitative', title, ...(opts.log ? { scale: { type: 'symlog' } } : {}) },
        color: { field: 'series', type: 'nominal', title: null },
        tooltip: [{ field: 'series' }, { field: 'at', type: 'temporal', format: '%Y-%m-%d %H:%M:%S' }, { field: 'value', format: '.4g' }],
      },
    },
  );
}

/** Reference vs current share of rows per histogram bar, side by side. */
export function histogramChart(bars: { label: string; reference: number; current: number }[], referenceTotal: number, currentTotal: number): Spec {
  const values = bars.flatMap((b, i) => [
    { i, label: b.label, sample: 'reference', share: referenceTotal ? b.reference / referenceTotal : 0 },
    { i, label: b.label, sample: 'current', share: currentTotal ? b.current / currentTotal : 0 },
  ]);
  return base(values, {
    width: 360,
    height: 180,
    mark: 'bar',
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: { field: 'i' }, title: null },
      xOffset: { field: 'sample' },
      y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of rows' },
      color: { field: 'sample', type: 'nominal', scale: { domain: ['reference', 'current'] }, title: null },
      tooltip: [{ field: 'label' }, { field: 'sample' }, { field: 'share', format: '.1%' }],
    },
  });
}

export interface GraphNode {
  id: string;
  label: string;
  kind: 'artifact' | 'execution';
  x: number;
  y: number;
  href: string;
}

/** A layered graph: edges as rules, nodes as clickable symbols with labels. */
export function graphChart(nodes: GraphNode[], edges: { from: string; to: string }[]): Spec {
  const at = new Map(nodes.map((n) => [n.id, n]));
  const lanes = Math.max(1, ...nodes.map((n) => n.x + 1));
  const rows = Math.max(1, ...nodes.map((n) => n.y + 1));
  const segs = edges.flatMap((e) => {
    const a = at.get(e.from);
    const b = at.get(e.to);
    return a && b ? [{ x: a.x, y: a.y, x2: b.x, y2: b.y }] : [];
  });
  const x = { type: 'quantitative', axis: null, scale: { domain: [-0.5, lanes - 0.5] } };
  const y = { type: 'quantitative', axis: null, scale: { domain: [rows - 0.5, -0.5] } };
  return {
    $schema: VL_SCHEMA,
    width: Math.max(W, lanes * 170),
    height: Math.max(160, rows * 56),
    layer: [
      {
        data: { values: segs },
        mark: { type: 'rule', color: '#aaa' },
        encoding: { x: { field: 'x', ...x }, y: { field: 'y', ...y }, x2: { field: 'x2' }, y2: { field: 'y2' } },
      },
      {
        data: { values: nodes },
        mark: { type: 'point', filled: true, size: 220, cursor: 'pointer' },
        encoding: {
          x: { field: 'x', ...x },
          y: { field: 'y', ...y },
          shape: { field: 'kind', type: 'nominal', scale: { domain: ['artifact', 'execution'], range: ['circle', 'square'] }, title: null },
          color: { field: 'kind', type: 'nominal', scale: { domain: ['artifact', 'execution'], range: ['#4c78a8', '#f58518'] }, title: null },
          href: { field: 'href' },
          tooltip: [{ field: 'label' }],
        },
      },
      {
        data: { values: nodes },
        mark: { type: 'text', dy: 18, fontSize: 10, limit: 160 },
        encoding: { x: { field: 'x', ...x }, y: { field: 'y', ...y }, text: { field: 'label' } },
      },
    ],
  };
}

export interface EstimatePoint {
  at: string;
  metric: string;
  version: number;
  estimated: number;
  /** The 95% interval of the estimate, when stored. */
  lo?: number;
  hi?: number;
  /** The realised value once the window's labels arrived. */
  realised?: number;
}

/** CBPE over time: per metric the estimate (line and points) in its interval band, and the realised value as a square. */
export function estimateChart(points: EstimatePoint[]): Spec {
  const x = { field: 'at', type: 'temporal', title: 'time' };
  const color = { field: 'metric', type: 'nominal', title: null };
  const tooltip = [
    { field: 'metric' },
    { field: 'version' },
    { field: 'at', type: 'temporal', format: '%Y-%m-%d %H:%M:%S' },
    { field: 'estimated', format: '.4f' },
    { field: 'lo', format: '.4f' },
    { field: 'hi', format: '.4f' },
    { field: 'realised', format: '.4f' },
  ];
  return base(points, {
    encoding: { x, color },
    layer: [
      {
        transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        mark: { type: 'area', opacity: 0.18 },
        encoding: { y: { field: 'lo', type: 'quantitative', title: 'metric', scale: { zero: false } }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'line', point: { filled: true } },
        encoding: { y: { field: 'estimated', type: 'quantitative', title: 'estimated (CBPE) and realised' }, tooltip },
      },
      {
        transform: [{ filter: 'isValid(datum.realised)' }],
        mark: { type: 'point', shape: 'square', filled: false, size: 90, strokeWidth: 2 },
        encoding: { y: { field: 'realised', type: 'quantitative' }, tooltip },
      },
    ],
  });
}
