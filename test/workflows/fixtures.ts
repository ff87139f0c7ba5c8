// Activity answers taken from runs recorded on the real stack (test/histories/, scripts/record-history.mjs):
// real results of this code base's activities, so the mocks need no hand-made models or datasets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ActivityName, ActivityResult, Answers } from './env';

interface RecordedEvent {
  eventId: string | number;
  workflowExecutionStartedEventAttributes?: { input: { payloads: { data?: string }[] } };
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  activityTaskCompletedEventAttributes?: { scheduledEventId: string | number; result?: { payloads: { data?: string }[] } };
}

const decode = (data: string): unknown => JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
const events = (history: string): RecordedEvent[] =>
  (JSON.parse(readFileSync(path.join(__dirname, '..', 'histories', history), 'utf8')) as { events: RecordedEvent[] }).events;

/** Every activity result of a recorded run, by activity name (the last call's). */
export function recordedResults(history: string): { [K in ActivityName]?: ActivityResult<K> } {
  const scheduled = new Map<string, string>();
  const results: Record<string, unknown> = {};
  for (const e of events(history)) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType.name);
    const c = e.activityTaskCompletedEventAttributes;
    const data = c?.result?.payloads[0]?.data;
    if (c && data) results[scheduled.get(String(c.scheduledEventId))!] = decode(data);
  }
  // The activities' own results, serialized by the worker that ran them.
  return results as { [K in ActivityName]?: ActivityResult<K> };
}

/** The input a recorded run started with. */
export function recordedInput(history: string): Record<string, unknown> {
  const data = events(history)[0]?.workflowExecutionStartedEventAttributes?.input.payloads[0]?.data;
  if (!data) throw new Error(`${history}: no workflow input in its first event`);
  return decode(data) as Record<string, unknown>;
}

/** Every stage of a pipeline run answered as the recorded first deploy test/histories/ct-deployed.json. */
export function recordedPipeline(): Answers {
  const r = recordedResults('ct-deployed.json');
  const need = <K extends ActivityName>(name: K): ActivityResult<K> => {
    const v = r[name];
    if (v === undefined) throw new Error(`ct-deployed.json records no result of ${name}`);
    return v as ActivityResult<K>;
  };
  return {
    ingestDataset: () => need('ingestDataset'),
    productionInfo: () => need('productionInfo'),
    sameAsProduction: () => need('sameAsProduction'),
    validateData: () => need('validateData'),
    governData: () => need('governData'),
    buildFeatures: () => need('buildFeatures'),
    selectFeatures: () => need('selectFeatures'),
    trainModel: () => need('trainModel'),
    evaluateModel: () => need('evaluateModel'),
    deployModel: () => need('deployModel'),
    ensureMonitor: (input) => `drift-${input.model}`,
  };
}

/** The spec of that recorded run, without its run block. */
export function recordedSpec(): Record<string, unknown> {
  const { run: _run, ...spec } = recordedInput('ct-deployed.json');
  void _run;
  return spec;
}
