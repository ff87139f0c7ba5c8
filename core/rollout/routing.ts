// Traffic split between the champion (the production version) and a challenger. Canary and A/B send a
// sticky share of the traffic to the challenger: the arm is a hash of the caller's key (X-Mlops-Key), so
// one customer always sees one model; shadow answers with the champion and mirrors the request to the
// challenger, whose predictions are only logged.
import { createHash } from 'node:crypto';

export type RolloutStrategy = 'canary' | 'ab' | 'shadow';

/** The alias of a rollout's challenger; its latest alias move's details hold the route (strategy, share). */
export const CHALLENGER = 'challenger';

export interface RolloutRoute {
  strategy: RolloutStrategy;
  share: number;
}

/** A key's place in [0, 1), the same for every server and restart. */
export function bucketOf(model: string, key: string): number {
  return createHash('sha256').update(`${model}\u0000${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Which model answers a request with this key. */
export function armFor(model: string, key: string, route: RolloutRoute): 'champion' | 'challenger' {
  if (route.strategy === 'shadow') return 'champion';
  return bucketOf(model, key) < route.share ? 'challenger' : 'champion';
}

export function parseRoute(details: Record<string, unknown> | undefined): RolloutRoute {
  const strategy = details?.strategy;
  const share = details?.share;
  if ((strategy !== 'canary' && strategy !== 'ab' && strategy !== 'shadow') || typeof share !== 'number' || !(share >= 0 && share <= 1)) {
    throw new Error(`challenger alias details ${JSON.stringify(details ?? {})} lack a strategy (canary, ab or shadow) and a share from 0 to 1`);
  }
  return { strategy, share };
}
