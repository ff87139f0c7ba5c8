// Dynamic batching for online scoring: small batches scored in the same event-loop turn (concurrent
// requests) run as one ONNX call. onnxruntime-node runs a session synchronously on the next turn anyway,
// so merging adds no wait; it trades N per-call overheads for one. Each caller gets exactly its own rows,
// equal to a lone call's up to float32 rounding (batched kernels may sum in another order, as any batch does).
import type { OnnxFeeds } from './feeds';
import type { OnnxOutputs, OnnxScorer } from './score';

/** Batches with more rows than this run alone: they already amortize the call. */
export const COALESCE_MAX_ROWS = 256;

interface Pending {
  feeds: OnnxFeeds;
  rows: number;
  resolve: (out: OnnxOutputs) => void;
  reject: (err: unknown) => void;
}

function rowCount(feeds: OnnxFeeds): number {
  const first = Object.values(feeds)[0];
  return first === undefined ? 0 : first.length;
}

function concat(parts: OnnxFeeds[], name: string): Float32Array | string[] {
  const first = parts[0]![name]!;
  if (first instanceof Float32Array) {
    const out = new Float32Array(parts.reduce((n, p) => n + p[name]!.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[name] as Float32Array, at);
      at += p[name]!.length;
    }
    return out;
  }
  return parts.flatMap((p) => p[name] as string[]);
}

/** Each caller's slice of every output, or undefined when an output is not row-major over the merged rows. */
function split(out: OnnxOutputs, batch: Pending[], total: number): OnnxOutputs[] | undefined {
  const widths = new Map<string, number>();
  for (const [name, data] of Object.entries(out)) {
    if (data.length % total !== 0) return undefined;
    widths.set(name, data.length / total);
  }
  let row = 0;
  return batch.map((p) => {
    const mine: OnnxOutputs = {};
    for (const [name, data] of Object.entries(out)) {
      const w = widths.get(name)!;
      mine[name] = data.slice(row * w, (row + p.rows) * w) as OnnxOutputs[string];
    }
    row += p.rows;
    return mine;
  });
}

export function coalescing(scorer: OnnxScorer): OnnxScorer {
  let queue: Pending[] = [];

  const runAlone = (p: Pending): void => void scorer.score(p.feeds).then(p.resolve, p.reject);

  const flush = (): void => {
    const batch = queue;
    queue = [];
    if (batch.length === 1) return runAlone(batch[0]!);
    const total = batch.reduce((n, p) => n + p.rows, 0);
    const merged: OnnxFeeds = {};
    for (const name of Object.keys(batch[0]!.feeds))
      merged[name] = concat(
        batch.map((p) => p.feeds),
        name,
      );
    scorer.score(merged).then(
      (out) => {
        const parts = split(out, batch, total);
        if (parts === undefined) batch.forEach(runAlone);
        else batch.forEach((p, i) => p.resolve(parts[i]!));
      },
      // One caller's bad feed must not fail the others: each runs again on its own and gets its own answer.
      () => batch.forEach(runAlone),
    );
  };

  return {
    inputs: scorer.inputs,
    outputs: scorer.outputs,
    score(feeds) {
      const rows = rowCount(feeds);
      // Only well-formed feeds merge (every input of the model, of its type, with the same number of rows);
      // any other goes to the session alone, which names what is wrong.
      const mergeable =
        rows > 0 &&
        rows <= COALESCE_MAX_ROWS &&
        Object.keys(feeds).length === scorer.inputs.length &&
        scorer.inputs.every((i) => {
          const f = feeds[i.name];
          return f !== undefined && f.length === rows && (i.type === 'float32' ? f instanceof Float32Array : Array.isArray(f));
        });
      if (!mergeable) return scorer.score(feeds);
      return new Promise<OnnxOutputs>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ feeds, rows, resolve, reject });
      });
    },
    release: () => scorer.release(),
  };
}
