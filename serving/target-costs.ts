// The server target's costs, measured like the edge and browser bundles' (core/export/costs.ts): the version
// loaded by the server's own ModelHost and served by its own HTTP handler on a private loopback port, so the
// measurement neither disturbs the running model server nor lands in its prediction log.
import type { AddressInfo } from 'node:net';
import { benchScorer } from '../core/export/runtime/bench';
import type { TargetCosts } from '../core/export/costs';
import type { Stores } from '../core/store';
import type { ModelVersion } from '../core/store/registry';
import { ModelHost } from './model-host';
import { PredictionLog } from './prediction-log';
import { createServer } from './server';

export async function measureServer(stores: Stores, mv: ModelVersion, modelBytes: number, rows: Record<string, unknown>[]): Promise<TargetCosts> {
  const host = new ModelHost(stores, 'cost-measurement');
  // A log that takes nothing: capacity 0 drops every entry before any write.
  const log = new PredictionLog(stores.pool, { capacity: 0 });
  const started = performance.now();
  await host.load(mv.model, mv.version);
  const loadMs = performance.now() - started;
  const { server } = createServer(host, stores.pool, { salt: 'cost-measurement', registry: stores.schema, log });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models/${mv.model}:predict`;
  try {
    const predict = async (instances: Record<string, unknown>[]): Promise<void> => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
      if (!res.ok) throw new Error(`measuring the server target: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const measured = await benchScorer(predict, rows);
    return {
      target: 'server',
      modelBytes,
      bundleBytes: null,
      loadMs: Math.round(loadMs * 1000) / 1000,
      ...measured,
      runtime: `onnxruntime-node (model server, Node ${process.versions.node})`,
      via: 'KServe V1 predict over HTTP on loopback (keep-alive, one client)',
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await log.close();
    await host.close();
  }
}
