// The prediction log: a bounded queue flushed in batches. When the database cannot keep up, new entries are
// dropped (and counted), never the predictions themselves. Protected attributes are hashed before logging.
import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface LogEntry {
  id: string;
  model: string;
  version: number;
  features: Record<string, unknown>;
  output: Record<string, unknown>;
}

export class PredictionLog {
  private queue: LogEntry[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout;
  dropped = 0;
  written = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: { capacity?: number; batch?: number; intervalMs?: number } = {},
  ) {
    this.timer = setInterval(() => void this.flush(), opts.intervalMs ?? 200);
    this.timer.unref();
  }

  add(entry: LogEntry): void {
    if (this.queue.length >= (this.opts.capacity ?? 10_000)) {
      this.dropped++;
      return;
    }
    this.queue.push(entry);
    if (this.queue.length >= (this.opts.batch ?? 500)) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.opts.batch ?? 500);
    try {
      await this.pool.query(
        `INSERT INTO predictions (id, model, version, features, output)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::jsonb[]) ON CONFLICT DO NOTHING`,
        [batch.map((e) => e.id), batch.map((e) => e.model), batch.map((e) => e.version), batch.map((e) => JSON.stringify(e.features)), batch.map((e) => JSON.stringify(e.output))],
      );
      this.written += batch.length;
    } catch {
      this.dropped += batch.length;
    } finally {
      this.flushing = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    while (this.queue.length > 0 && !this.flushing) await this.flush();
  }
}

/** A protected attribute's value as it may appear in the log: a salted SHA-256, never the value. */
export function hashValue(value: unknown, salt: string): string | null {
  if (value === null || value === undefined) return null;
  return createHash('sha256').update(salt).update(String(value)).digest('hex').slice(0, 16);
}
