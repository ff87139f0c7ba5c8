// Determinism guard: every recorded history under test/histories/ must replay against the current
// workflow code. A change that would break running workflows fails here, naming the workflow and event.
// One replay worker (one bundle of the workflow code) replays them all; each file is its own test.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

const dir = path.join(__dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const histories = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { workflowId: string; events: unknown[] });
const results: ReplayResult[] = [];

beforeAll(async () => {
  const replays = Worker.runReplayHistories(
    { workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.ts') },
    // Under its recorded id: child workflow ids derive from it. Results come back in order.
    histories.map((history) => ({ workflowId: history.workflowId, history: history as never })),
  );
  for await (const r of replays) results.push(r);
}, 180_000);

describe('workflow replay', () => {
  it('has recorded histories of every pipeline workflow type', () => {
    const types = new Set(
      histories.map(
        (h) =>
          (h.events[0] as { workflowExecutionStartedEventAttributes: { workflowType: { name: string } } }).workflowExecutionStartedEventAttributes.workflowType
            .name,
      ),
    );
    expect([...types].sort()).toEqual(['abTest', 'cicdPipeline', 'continuousTrainingPipeline', 'driftMonitor', 'manualPipeline', 'materializeFeatures']);
  });

  files.forEach((file, i) => {
    it(`replays ${file} against the current workflow code`, () => {
      const r = results[i];
      expect(r, `${file} was replayed`).toBeDefined();
      if (r!.error) throw r!.error;
    });
  });
});
