// A synthetic customer-churn dataset with mixed numeric, categorical and date columns, a known relation
// between features and the label, and an optional shift (`drift`) for scale and drift tests.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { normalFrom, seededRandom, weightedIndex } from '../random';

export interface SynthOptions {
  rows: number;
  /** 0 = the reference distribution; 1 = a clear shift in age, support calls and plan mix. */
  drift?: number;
  seed?: number;
}

export const SYNTH_COLUMNS = [
  'customer_id',
  'signup_date',
  'age',
  'income',
  'plan',
  'region',
  'tenure_months',
  'support_calls',
  'monthly_charges',
  'churned',
] as const;
const PLANS = ['basic', 'standard', 'premium', 'enterprise'];
const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const PLAN_PRICE = [20, 45, 80, 150];
const DAY_MS = 86_400_000;
const START = Date.UTC(2020, 0, 1);

export function validateSynthOptions(o: SynthOptions): void {
  if (!Number.isInteger(o.rows) || o.rows < 1 || o.rows > 100_000_000) throw new RangeError(`rows must be an integer from 1 to 100000000, got ${o.rows}`);
  if (o.drift !== undefined && (!Number.isFinite(o.drift) || o.drift < 0 || o.drift > 10))
    throw new RangeError(`drift must be a number from 0 to 10, got ${o.drift}`);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 32 - 1))
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${o.seed}`);
}

/** The probability of churn the label is drawn from: the relation a model should recover. */
export function churnProbability(r: { tenureMonths: number; supportCalls: number; plan: number; age: number; monthlyCharges: number }): number {
  const logit =
    -1.0 + 0.45 * r.supportCalls - 0.05 * r.tenureMonths + (r.plan === 0 ? 0.7 : r.plan === 3 ? -0.6 : 0) + 0.015 * (r.age - 40) + 0.004 * r.monthlyCharges;
  return 1 / (1 + Math.exp(-logit));
}

/** Writes the dataset as CSV to `file`, streaming (memory stays flat however many rows). */
export async function writeSynthCsv(file: string, opts: SynthOptions, onProgress?: (rows: number) => void): Promise<void> {
  validateSynthOptions(opts);
  const drift = opts.drift ?? 0;
  const random = seededRandom(opts.seed ?? 42);
  const normal = normalFrom(random);
  const planWeights = [0.35 + 0.25 * drift, 0.35, 0.2 - 0.1 * Math.min(drift, 1), 0.1 - 0.05 * Math.min(drift, 1)];
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${SYNTH_COLUMNS.join(',')}\n`);
  let batch: string[] = [];
  for (let i = 0; i < opts.rows; i++) {
    const signup = new Date(START + Math.floor(random() * 1826) * DAY_MS).toISOString().slice(0, 10);
    const age = Math.round(Math.min(90, Math.max(18, 40 + 8 * drift + 12 * normal())));
    const income = random() < 0.02 ? '' : Math.round(Math.exp(10.8 + 0.3 * drift + 0.5 * normal()));
    const plan = weightedIndex(random, planWeights);
    const region = REGIONS[weightedIndex(random, [0.25, 0.2, 0.2, 0.2, 0.15])]!;
    const tenureMonths = Math.min(120, Math.floor(-Math.log(1 - random()) * 24));
    let supportCalls = 0;
    const lambda = Math.exp(-(1.5 + 1.5 * drift));
    for (let p = random(); p > lambda && supportCalls < 20; p *= random()) supportCalls++;
    const monthlyCharges = Math.round((PLAN_PRICE[plan]! * (1 + 0.1 * normal()) + 5 * supportCalls) * 100) / 100;
    const churned = random() < churnProbability({ tenureMonths, supportCalls, plan, age, monthlyCharges }) ? 1 : 0;
    batch.push(`${i + 1},${signup},${age},${income},${PLANS[plan]},${region},${tenureMonths},${supportCalls},${monthlyCharges},${churned}`);
    if (batch.length === 10_000) {
      await write(`${batch.join('\n')}\n`);
      batch = [];
      onProgress?.(i + 1);
    }
  }
  if (batch.length) await write(`${batch.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}
