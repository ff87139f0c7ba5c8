// /feature-sets: every feature set version with its watermark, freshness, materialized rows and the size of
// its online store.
import type { PageHandler } from '../context';
import { fmtNumber, fmtTime, html, table } from '../html';
import { featureSets } from '../queries';

function age(from: Date | null, now: number): string {
  if (!from) return 'never materialized';
  const s = Math.max(0, (now - from.getTime()) / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

export const featureSetsPage: PageHandler = async (ctx) => {
  const sets = await featureSets(ctx.stores.pool);
  const now = Date.now();
  return {
    title: 'Feature sets',
    body: html`${table({
      id: 'feature-sets',
      empty: 'No feature set applied yet (mlops features apply FILE).',
      head: ['set', 'version', 'entity', 'features', 'watermark', 'freshness', 'parts', 'offline rows', 'online entities', 'applied'],
      rows: sets.map((s) => [
        s.name,
        `v${s.version}`,
        s.entity ?? '—',
        s.features.join(', '),
        fmtTime(s.watermark),
        age(s.watermark, now),
        s.parts,
        fmtNumber(s.rows),
        fmtNumber(s.onlineEntities),
        fmtTime(s.createdAt),
      ]),
    })}`,
    charts: {},
    data: { featureSets: sets },
  };
};
