// The train stage in a worker thread of its own. Fitting, scoring, permutation importance and ONNX checks are
// long synchronous loops: on the caller's thread they stall its event loop, so heartbeats stop and keep-alive
// sockets go stale under it. The thread opens its own stores from the caller's configuration and reports
// progress, notes (checkpoint references) and the result by message.
//
// Worker threads run JavaScript. From the build (dist/) the entry sits beside this file; from the TypeScript
// sources (vitest) it is the build's copy under dist/, and with no build at all the caller trains in-line.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import type { Config } from '../config';
import { DataError } from '../data/source';
import { GovernanceError } from '../features/plan';
import { FeatureSpecError } from '../features/spec';
import { FeatureSetError } from '../featurestore/definition';
import { loggedFeatures } from '../monitor/logged';
import { SpecError } from '../spec';
import { openStores } from '../store';
import type { ArtifactStore } from '../store/artifacts';
import { TrainingDataError } from './training-data';
import { trainStage, type CheckpointHooks, type TrainCheckpoint, type TrainedModel, type TrainInput, type TrainStatus } from './train';

export interface CheckpointRef {
  uri: string;
  sha256: string;
}

export interface TrainThreadData {
  input: TrainInput;
  /** Where the caller's stores are (`openStores(config, { schema })`; the prefix is config.s3.prefix). */
  stores: { config: Config; schema: string };
  /** The last checkpoint an earlier attempt saved (from its heartbeat details). */
  resumeFrom?: CheckpointRef;
  latencyCalls?: number;
}

export interface TrainEvents {
  progress: (message: string) => void;
  /** Details to merge into the heartbeat: `checkpoint` (a CheckpointRef) and `status` (a TrainStatus). */
  note: (details: { checkpoint?: CheckpointRef; status?: TrainStatus }) => void;
  /** Aborting stops the thread (the activity was cancelled). */
  signal?: AbortSignal;
}

type ThreadMessage =
  | { kind: 'progress'; message: string }
  | { kind: 'note'; details: { checkpoint?: CheckpointRef; status?: TrainStatus } }
  | { kind: 'done'; model: TrainedModel }
  | { kind: 'failed'; name: string; message: string; stack?: string; code?: unknown };

/**
 * Checkpoints go to the artifact store (content-addressed) and their reference into the heartbeat, so a
 * retried attempt — on this worker or another — finds the last one in its heartbeat details and resumes.
 */
export function artifactCheckpoints(artifacts: ArtifactStore, resumeFrom: CheckpointRef | undefined, note: TrainEvents['note']): CheckpointHooks {
  return {
    load: async () => {
      if (!resumeFrom) return undefined;
      const text = (await artifacts.getBuffer(artifacts.keyOf(resumeFrom.uri), resumeFrom.sha256)).toString('utf8');
      return JSON.parse(text) as TrainCheckpoint;
    },
    save: async (c) => {
      const ref = await artifacts.putContent('checkpoints/train', '.json', JSON.stringify(c), 'application/json');
      note({ checkpoint: { uri: ref.uri, sha256: ref.sha256 } });
    },
  };
}

/** The compiled thread entry, or undefined when there is none (TypeScript sources without a build). */
export function trainThreadScript(): string | undefined {
  const script = __filename.endsWith('.ts')
    ? path.resolve(__dirname, '..', '..', 'dist', 'core', 'ml', 'train-thread-entry.js')
    : path.join(__dirname, 'train-thread-entry.js');
  return existsSync(script) ? script : undefined;
}

// Errors a stage maps to non-retryable failures keep their class across the thread boundary.
const KNOWN_ERRORS: Record<string, new (message: string) => Error> = {
  DataError,
  GovernanceError,
  FeatureSpecError,
  FeatureSetError,
  SpecError,
  TrainingDataError,
};

function errorOf(m: Extract<ThreadMessage, { kind: 'failed' }>): Error {
  const Known = KNOWN_ERRORS[m.name];
  const err = Known ? new Known(m.message) : Object.assign(new Error(m.message), { name: m.name });
  if (m.stack) err.stack = m.stack;
  if (m.code !== undefined) Object.assign(err, { code: m.code });
  return err;
}

/** Runs the train stage in a worker thread started from `script`; resolves with what the thread trained. */
export function trainInThread(script: string, data: TrainThreadData, events: TrainEvents): Promise<TrainedModel> {
  return new Promise<TrainedModel>((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      events.signal?.removeEventListener('abort', abort);
      fn();
    };
    const abort = (): void => {
      settle(() => reject(events.signal?.reason instanceof Error ? events.signal.reason : new Error('training was cancelled')));
      void worker.terminate();
    };
    if (events.signal?.aborted) return abort();
    events.signal?.addEventListener('abort', abort);
    worker.on('message', (m: ThreadMessage) => {
      if (m.kind === 'progress') events.progress(m.message);
      else if (m.kind === 'note') events.note(m.details);
      else {
        settle(() => (m.kind === 'done' ? resolve(m.model) : reject(errorOf(m))));
        // Whatever the thread still holds open (sockets, native handles) goes with it.
        void worker.terminate();
      }
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the training thread exited (code ${code}) before it finished`))));
  });
}

/** The thread's side: open the stores, train, close the stores, then post the result (or the error). */
export async function trainThreadMain(data: TrainThreadData, port: MessagePort): Promise<void> {
  const post = (m: ThreadMessage): void => port.postMessage(m);
  const note: TrainEvents['note'] = (details) => post({ kind: 'note', details });
  const stores = openStores(data.stores.config, { schema: data.stores.schema });
  let outcome: ThreadMessage;
  try {
    const model = await trainStage(data.input, {
      artifacts: stores.artifacts,
      registry: stores.registry,
      onProgress: (message) => post({ kind: 'progress', message }),
      onStatus: (status) => note({ status }),
      checkpoint: artifactCheckpoints(stores.artifacts, data.resumeFrom, note),
      loggedRows: (model, windowSeconds) => loggedFeatures(stores.pool, model, windowSeconds),
      ...(data.latencyCalls !== undefined ? { latencyCalls: data.latencyCalls } : {}),
    });
    outcome = { kind: 'done', model };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    outcome = { kind: 'failed', name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), ...(code !== undefined ? { code } : {}) };
  }
  await stores.close().catch(() => undefined);
  post(outcome);
}
