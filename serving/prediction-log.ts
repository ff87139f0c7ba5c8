// The prediction log: a bounded queue flushed in batches. When the database cannot keep up, new entries are
// dropped (and counted), never the predictions themselves. Protected attributes are hashed before logging.
// Each entry is serialized when it is added, so a flush only joins the texts into one JSON parameter: the
// server never stops for a whole batch's serialization between two requests (that burst was the tail of
// serving latency).
import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface LogEntry {
  id: string;
  model: string;
  version: number;
  features: Record<string, unknown>;
  output: Record<string, unknown>;
}

const DAY_MS = 86_400_000;

/** The partition name of a UTC day: predictions_YYYYMMDD. */
export function partitionName(day: Date): string {
  return `predictions_${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** Creates the day partitions from today to `ahead` days on (idempotent). */
export async function ensurePartitions(pool: pg.Pool, now = new Date(), ahead = 2): Promise<void> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let d = 0; d <= ahead; d++) {
    const from = new Date(today + d * DAY_MS);
    const to = new Date(today + (d + 1) * DAY_MS);
    // Identifiers come from dates only; the bounds are ISO timestamps.
    await pool
      .query(`CREATE TABLE IF NOT EXISTS ${partitionName(from)} PARTITION OF predictions FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`)
      .catch((err: { code?: string }) => {
        if (err.code !== '42P07') throw err; // created concurrently
      });
  }
}

/** Drops the day partitions entirely older than `days` days; returns their names. */
export async function dropOldPartitions(pool: pg.Pool, days: number, now = new Date()): Promise<string[]> {
  const res = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace WHERE p.relname = 'predictions' AND n.nspname = current_schema() AND c.relname ~ '^predictions_[0-9]{8}$'`,
  );
  const cutoff = partitionName(new Date(now.getTime() - days * DAY_MS));
  const dropped: string[] = [];
  for (const { name } of res.rows) {
    if (name < cutoff) {
      await pool.query(`DROP TABLE IF EXISTS ${name}`);
      dropped.push(name);
    }
  }
  // Rows that fell into the default partition are deleted row by row.
  await pool.query(`DELETE FROM predictions_default WHERE at < $1`, [new Date(now.getTime() - days * DAY_MS)]);
  return dropped.sort();
}

export class PredictionLog {
  /** Entries as JSON texts: a LogEntry's fields are the columns of `predictions`. */
  private queue: string[] = [];
  private inflight: Promise<void> = Promise.resolve();
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
    this.queue.push(JSON.stringify(entry));
    // One write per filled batch (the timer takes the rest); a write in flight takes what queued meanwhile.
    if (this.queue.length === (this.opts.batch ?? 500)) void this.flush();
  }

  /**
   * Writes everything queued so far. Calls are chained: a caller (the feedback handler, say) returns only once
   * the batches already in flight and every entry queued before its call are in the table.
   */
  flush(): Promise<void> {
    const run = this.inflight.then(() => this.writeQueued());
    this.inflight = run.catch(() => undefined);
    return run;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.batch ?? 500);
      try {
        await this.pool.query(
          // A caller may send its own prediction id twice (a retried request): log it once, not drop the batch.
          `INSERT INTO predictions (id, model, version, features, output)
           SELECT id, model, version, features, output FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, model text, version int, features jsonb, output jsonb)
           ON CONFLICT DO NOTHING`,
          [`[${batch.join(',')}]`],
        );
        this.written += batch.length;
      } catch {
        this.dropped += batch.length;
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** A protected attribute's value as it may appear in the log: a salted SHA-256, never the value. */
export function hashValue(value: unknown, salt: string): string | null {
  if (value === null || value === undefined) return null;
  return createHash('sha256').update(salt).update(String(value)).digest('hex').slice(0, 16);
}
