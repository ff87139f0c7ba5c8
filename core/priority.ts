// Which runs go first when workers are busy: Temporal task priority (1 highest … 5 lowest, default 3) and a
// fairness key per model. Drift-triggered and manual runs go before scheduled ones; each model is its own
// fairness key, so one model's hundred partitions share the workers with another model's run instead of
// queueing it behind them. The server honours these only with its priority matcher and fairness enabled
// (infra/stack.ts TEMPORAL_DYNAMIC_CONFIG; see docs/architecture.md).

export type RunTrigger = 'manual' | 'schedule' | 'drift' | 'data' | 'cicd';

export interface RunPriority {
  priorityKey: number;
  fairnessKey: string;
}

export const TRIGGER_PRIORITY: Record<RunTrigger, number> = { drift: 1, manual: 2, cicd: 2, data: 3, schedule: 4 };

/** Fairness keys are limited to 64 bytes: a longer model name is cut at a character boundary. */
function fairnessKeyOf(model: string): string {
  let key = '';
  let bytes = 0;
  for (const ch of model) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > 64) break;
    key += ch;
  }
  return key;
}

export function runPriority(trigger: RunTrigger, model: string): RunPriority {
  return { priorityKey: TRIGGER_PRIORITY[trigger], fairnessKey: fairnessKeyOf(model) };
}
