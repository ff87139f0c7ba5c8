// Where a single-row predict spends the model server's CPU: `mlops serve` under --cpu-prof, loaded by one
// protocol at a time (V1 REST, V2 REST, V2 gRPC; 32 callers for a few seconds), the samples of the loaded
// window sorted into the parts of the path, and the CPU the Postgres processes spent meanwhile (the log's
// writes run on the same cores). Run after `npm run build`: node dist/bench/profile-serving.js [seconds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { protocolSenders, serve, type Protocol } from './serving.bench';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const LOG = 'prediction log (queue, JSON, pg client)';
/** Parts of the path: the innermost frame that belongs to one decides (the log: anywhere in the stack). */
const PARTS: [string, (fn: string, url: string) => boolean][] = [
  ['pg client', (_f, u) => /node_modules\/pg/.test(u)],
  ['ONNX call', (_f, u) => u.includes('onnxruntime') || u.includes('core/onnx/')],
  ['derivation', (_f, u) => u.includes('core/features/')],
  ['V2 tensors', (_f, u) => u.includes('serving/v2-') || u.includes('serving/grpc.js')],
  ['gRPC transport + protobuf', (_f, u) => u.includes('@grpc/') || u.includes('protobufjs') || u.includes('serving/grpc-codec')],
  ['JSON parse/stringify', (f) => f === 'parse' || f === 'stringify' || f === 'parseJson'],
  [
    'HTTP (parser, sockets, writes)',
    (f, u) =>
      /node:(_http|http|net|stream|internal\/stream)/.test(u) ||
      /^(writev|writeBuffer|writeUtf8String|onStreamRead|writevGeneric|parserOnIncoming|parserOnHeadersComplete)$/.test(f),
  ],
  ['checks, routing, ids, metrics', (_f, u) => u.includes('/serving/')],
];

function partOf(frames: ProfileNode[]): string {
  const top = frames[0]!.callFrame.functionName;
  if (top === '(idle)') return 'idle';
  if (top === '(garbage collector)') return 'GC';
  if (frames.some((f) => f.callFrame.url.includes('serving/prediction-log'))) return LOG;
  for (const f of frames) {
    const part = PARTS.find(([, match]) => match(f.callFrame.functionName, f.callFrame.url));
    if (part) return part[0];
  }
  return 'other (V8, Node internals)';
}

export function breakdown(file: string): { busyMs: number; parts: Record<string, number> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stack = (id: number): ProfileNode[] => {
    const out: ProfileNode[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) out.push(byId.get(n)!);
    return out;
  };
  const parts: Record<string, number> = {};
  let loaded = false;
  p.samples.forEach((id, i) => {
    const frames = stack(id);
    // The window starts at the first predict: startup (module loading, model load) is not the predict path.
    if (!loaded && !frames.some((f) => f.callFrame.functionName === 'predict' && f.callFrame.url.includes('core/predict/score'))) return;
    loaded = true;
    const part = partOf(frames);
    parts[part] = (parts[part] ?? 0) + p.timeDeltas[i]! / 1000;
  });
  const busyMs = Object.entries(parts)
    .filter(([k]) => k !== 'idle')
    .reduce((a, [, v]) => a + v, 0);
  return { busyMs, parts };
}

/** CPU seconds the Postgres processes have used so far (user + system). */
function postgresCpuSeconds(): number {
  const pids = execFileSync('pgrep', ['-x', 'postgres']).toString().trim().split('\n').filter(Boolean);
  const tick = 100; // USER_HZ
  return pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return sum; // a backend that exited meanwhile
    }
  }, 0);
}

async function profile(protocol: Protocol, seconds: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-prof-'));
  const child = await serve({ port: 18490, grpcPort: 18491, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const senders = protocolSenders(18490, 18491);
  try {
    const send = senders.send[protocol];
    for (let i = 0; i < 300; i++) await send();
    const pg0 = postgresCpuSeconds();
    let done = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (Date.now() < end) {
          await send();
          done++;
        }
      }),
    );
    const pgSeconds = postgresCpuSeconds() - pg0;
    senders.close();
    // The profile is written when the server exits on SIGINT.
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    const { busyMs, parts } = breakdown(path.join(dir, file));
    console.log(
      `\n${protocol}: ${(done / seconds).toFixed(0)} req/s; server busy ${(busyMs / 1000).toFixed(2)} s of CPU (${((busyMs * 1000) / done).toFixed(0)} µs a request), Postgres ${pgSeconds.toFixed(2)} s`,
    );
    for (const [part, ms] of Object.entries(parts)
      .filter(([k]) => k !== 'idle')
      .sort((a, b) => b[1] - a[1])) {
      console.log(`  ${part.padEnd(40)} ${((ms / busyMs) * 100).toFixed(1).padStart(5)} %  ${((ms * 1000) / done).toFixed(1).padStart(6)} µs/request`);
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  for (const protocol of ['v1', 'v2', 'grpc'] as const) await profile(protocol, seconds);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
