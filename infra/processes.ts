// Detached service processes of the local stack: pid files under $MLOPS_HOME/run, logs under
// $MLOPS_HOME/logs, and the waits and probes every service module shares.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tail } from './install';

export function runDir(home: string): string {
  return path.join(home, 'run');
}

export function logFile(home: string, service: string): string {
  return path.join(home, 'logs', `${service}.log`);
}

export function pidFile(home: string, service: string): string {
  return path.join(runDir(home), `${service}.pid`);
}

/** Services with a pid file whose name matches `pattern` (e.g. the pipeline versions' workers). */
export function recordedServices(home: string, pattern: RegExp): string[] {
  if (!existsSync(runDir(home))) return [];
  return readdirSync(runDir(home))
    .filter((f) => f.endsWith('.pid') && pattern.test(f.slice(0, -4)))
    .map((f) => f.slice(0, -4));
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded for a service, if that process still runs the expected binary. */
export function recordedPid(home: string, service: string, binary: string): number | undefined {
  const file = pidFile(home, service);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(path.basename(binary))) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

export function startDetached(home: string, service: string, binary: string, args: string[], env: NodeJS.ProcessEnv): number {
  mkdirSync(path.dirname(logFile(home, service)), { recursive: true });
  mkdirSync(runDir(home), { recursive: true });
  const fd = openSync(logFile(home, service), 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    if (!child.pid) throw new Error(`${service}: could not start ${binary}`);
    writeFileSync(pidFile(home, service), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export async function stopPid(pid: number, signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function waitHealthy(service: string, check: () => Promise<boolean>, opts: { timeoutMs: number; pid?: number; log: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (opts.pid !== undefined && !alive(opts.pid)) {
      throw new Error(`${service} exited while starting. Last lines of ${opts.log}:\n${logTail(opts.log)}`);
    }
    await sleep(250);
  }
  throw new Error(`${service} not healthy after ${opts.timeoutMs / 1000} s. Last lines of ${opts.log}:\n${logTail(opts.log)}`);
}

export function logTail(file: string): string {
  try {
    return tail(readFileSync(file, 'utf8'), 25);
  } catch {
    return '(no log)';
  }
}

export function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}
