// Live progress of a pipeline run for `mlops run … --wait`: the stage states come from the workflow's status
// query, a running stage's details from its activity's last heartbeat (as the Temporal UI shows them). On a
// terminal the current stage is one line redrawn in place with a bar; otherwise each change is a plain line.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TrainStatus } from '../core/ml/train';
import { statusQuery, type StatusView } from '../workflows/contracts';

/** What a stage activity puts in its heartbeat (activities/stage.ts). */
export interface StageHeartbeat {
  stage?: string;
  message?: string;
  status?: TrainStatus;
}

/** The share of the train stage done, from its status (undefined when it cannot say). */
export function trainFraction(s: TrainStatus): number | undefined {
  const inFit = s.iteration !== undefined && s.maxIter ? Math.min(1, s.iteration / s.maxIter) : 0;
  if (s.phase === 'search' && s.trial && s.trials) return Math.min(1, (s.trial - 1 + inFit) / s.trials);
  if (s.phase === 'refit') return inFit;
  return undefined;
}

/** One line about a running stage: its progress details, or its last message. */
export function describeProgress(stage: string, beat: StageHeartbeat | undefined, elapsedMs: number): string {
  const s = beat?.status;
  const parts: string[] = [];
  if (s) {
    parts.push(s.phase);
    if (s.trial && s.trials) parts.push(`trial ${s.trial}/${s.trials}`);
    if (s.iteration !== undefined && s.maxIter) parts.push(`iteration ${s.iteration}/${s.maxIter}`);
    if (s.best) parts.push(`best ${s.best.metric} ${s.best.score.toFixed(4)}`);
  } else if (beat?.message) {
    parts.push(beat.message);
  }
  return `${stage}: ${parts.join(' · ') || 'running'} (${(elapsedMs / 1000).toFixed(0)} s)`;
}

export function progressBar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

async function lastHeartbeat(handle: WorkflowHandle): Promise<StageHeartbeat | undefined> {
  const desc = await handle.describe();
  const payload = desc.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload<StageHeartbeat>(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
}

/** Follows the run until stop() is called; writes to `out` (a TTY gets a redrawn line, anything else plain lines). */
export function followProgress(handle: WorkflowHandle, out: NodeJS.WriteStream, everyMs = 1_000): { stop: () => Promise<void> } {
  const tty = out.isTTY === true;
  let stopped = false;
  let lastLine = '';
  let drawn = false;
  const finished = new Set<string>();
  const startedAt = new Map<string, number>();
  const clear = (): void => {
    if (tty && drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const tick = async (): Promise<void> => {
    const status = (await handle.query(statusQuery).catch(() => undefined)) as StatusView | undefined;
    if (!status) return;
    for (const [stage, st] of Object.entries(status.stages)) {
      if (st.state === 'done' && !finished.has(stage)) {
        finished.add(stage);
        clear();
        out.write(`${stage}: done in ${((st.ms ?? 0) / 1000).toFixed(1)} s\n`);
      }
    }
    const running = Object.entries(status.stages).find(([, st]) => st.state === 'running')?.[0];
    if (!running) return;
    if (!startedAt.has(running)) startedAt.set(running, Date.now());
    const beat = await lastHeartbeat(handle).catch(() => undefined);
    const line = describeProgress(running, beat?.stage === running ? beat : undefined, Date.now() - startedAt.get(running)!);
    const fraction = beat?.status ? trainFraction(beat.status) : undefined;
    if (tty) {
      clear();
      out.write(fraction !== undefined ? `${progressBar(fraction)} ${line}` : line);
      drawn = true;
    } else {
      // Plain lines only when something besides the clock changed.
      const key = line.replace(/ \(\d+ s\)$/, '');
      if (key !== lastLine) out.write(`${line}\n`);
      lastLine = key;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      await tick().catch(() => undefined);
      clear();
    },
  };
}
