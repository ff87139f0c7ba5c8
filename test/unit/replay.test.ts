// Determinism guard: every recorded history under test/histories/ must replay against the current
// workflow code. A change that would break running workflows fails here, naming the workflow and event.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const dir = path.join(__dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('workflow replay', () => {
  it('has recorded histories of every pipeline workflow type', () => {
    const types = new Set(
      files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name),
    );
    expect([...types].sort()).toEqual(['abTest', 'cicdPipeline', 'continuousTrainingPipeline', 'driftMonitor', 'manualPipeline', 'materializeFeatures']);
  });

  for (const file of files) {
    it(`replays ${file} against the current workflow code`, async () => {
      const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      await Worker.runReplayHistory({ workflowsPath: path.join(__dirname, '..', '..', 'workflows', 'index.ts') }, history, history.workflowId);
    }, 60_000);
  }
});
