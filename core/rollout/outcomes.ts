// Outcomes of a rollout from the prediction log: per arm, the predictions that got feedback labels
// (trials) and those the label confirmed (successes). Shadow predictions carry the id of the champion's
// prediction for the same row (output.shadowOf), so the feedback for that row scores both.
import type pg from 'pg';
import type { ArmCounts } from '../stats/ab';

export async function armOutcomes(
  pool: pg.Pool,
  model: string,
  arms: { champion: number; challenger: number; since: Date },
): Promise<{ control: ArmCounts; treatment: ArmCounts }> {
  const res = await pool.query<{ version: number; trials: string; successes: string }>(
    `SELECT p.version, count(*) AS trials, count(*) FILTER (WHERE p.output->>'label' = f.label) AS successes
       FROM predictions p JOIN feedback f ON f.prediction_id = COALESCE((p.output->>'shadowOf')::uuid, p.id)
      WHERE p.model = $1 AND p.version = ANY($2::int[]) AND p.at >= $3
      GROUP BY p.version`,
    [model, [arms.champion, arms.challenger], arms.since],
  );
  const of = (version: number): ArmCounts => {
    const r = res.rows.find((x) => x.version === version);
    return { successes: Number(r?.successes ?? 0), trials: Number(r?.trials ?? 0) };
  };
  return { control: of(arms.champion), treatment: of(arms.challenger) };
}
