// A worker's local copies of s3:// objects, kept in its own temp dir between activities. Every partition of a
// split object reads the whole object, and a scheduled run reads the same object again: one download serves
// them all. Copies are keyed by bucket, key and ETag, so a changed object is fetched again. Copies in use are
// never removed; of the others, the least recently used go first once they hold more than the limit
// (MLOPS_SOURCE_CACHE_MB; 0 keeps none). What a copy's bytes were checked to be (scanSource) is kept with it.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'minio';

export interface CachedObject {
  file: string;
  bytes: number;
  /** Results of scanning the copy (its sha256 and checks), by how it was scanned. */
  scans: Map<string, Promise<string>>;
  release: () => void;
}

interface Entry {
  file: string;
  bytes: number;
  users: number;
  lastUsed: number;
  ready: Promise<void>;
  scans: Map<string, Promise<string>>;
}

export const DEFAULT_SOURCE_CACHE_BYTES = 4096 * 2 ** 20;

export class SourceCache {
  private readonly entries = new Map<string, Entry>();
  private dirMade = false;

  constructor(
    private readonly dir: string,
    public limitBytes: number,
  ) {}

  /** The local copy of s3://bucket/key as it is now; release() when done reading it. */
  async acquire(s3: Client, bucket: string, key: string): Promise<CachedObject> {
    const stat = await s3.statObject(bucket, key);
    const id = createHash('sha256').update(`${bucket}\0${key}\0${stat.etag}\0${stat.size}`).digest('hex').slice(0, 32);
    let entry = this.entries.get(id);
    if (!entry) {
      this.makeDir();
      // The name keeps the key's end: readers take compression from the extension (.csv.gz).
      const file = path.join(this.dir, `${id}-${path.basename(key).slice(-100)}`);
      const partial = `${file}.partial`;
      entry = {
        file,
        bytes: stat.size,
        users: 0,
        lastUsed: Date.now(),
        scans: new Map(),
        ready: (async () => {
          try {
            await pipeline(await s3.getObject(bucket, key), createWriteStream(partial));
            await rename(partial, file);
          } catch (err) {
            this.entries.delete(id);
            await rm(partial, { force: true });
            throw err;
          }
        })(),
      };
      this.entries.set(id, entry);
    }
    entry.users++;
    try {
      await entry.ready;
    } catch (err) {
      entry.users--;
      throw err;
    }
    const e = entry;
    let released = false;
    return {
      file: e.file,
      bytes: e.bytes,
      scans: e.scans,
      release: () => {
        if (released) return;
        released = true;
        e.users--;
        e.lastUsed = Date.now();
        this.evict();
      },
    };
  }

  /** Bytes held by copies no one is reading. */
  idleBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.users === 0) n += e.bytes;
    return n;
  }

  private evict(): void {
    const idle = [...this.entries].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    let held = idle.reduce((n, [, e]) => n + e.bytes, 0);
    for (const [id, e] of idle) {
      if (held <= this.limitBytes) break;
      this.entries.delete(id);
      rmSync(e.file, { force: true });
      held -= e.bytes;
    }
  }

  private makeDir(): void {
    if (this.dirMade) return;
    mkdirSync(this.dir, { recursive: true });
    this.dirMade = true;
  }
}

const cacheDirPrefix = 'mlops-source-cache-';
let shared: SourceCache | undefined;

/** This process's cache, in its temp dir. The first call removes copies left by workers that are gone. */
export function sourceCache(): SourceCache {
  if (!shared) {
    removeOrphans();
    shared = new SourceCache(path.join(os.tmpdir(), `${cacheDirPrefix}${process.pid}`), DEFAULT_SOURCE_CACHE_BYTES);
  }
  return shared;
}

/** Sets how many bytes of idle copies this process keeps (the worker, from MLOPS_SOURCE_CACHE_MB). */
export function setSourceCacheLimit(bytes: number): void {
  sourceCache().limitBytes = bytes;
}

/** Removes the caches under `tmp` of processes that no longer run (a killed worker's copies). */
export function removeOrphans(tmp = os.tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(cacheDirPrefix)) continue;
    const pid = Number(name.slice(cacheDirPrefix.length));
    if (!/^\d+$/.test(name.slice(cacheDirPrefix.length)) || pid === process.pid || alive(pid)) continue;
    rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
