// Governance: terms of use against the run's purpose, and how well every group of every protected attribute
// is represented. (Which columns may reach the model is checked on the feature graph, in plan.ts.)
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../data/duckdb';
import { GovernanceError } from './plan';

export interface GovernanceSpec {
  prohibited?: string[];
  protected?: string[];
  /** The dataset's license or terms name, recorded in lineage. */
  license?: string;
  /** Purposes the data's terms allow (when given, any other purpose is refused) and exclude. */
  allowedPurposes?: string[];
  prohibitedPurposes?: string[];
  /** What this run's model is for. */
  purpose?: string;
  /** A group smaller than this many rows, or than this share, is too small for its metrics to mean much. */
  minGroupSize?: number;
  minGroupShare?: number;
  onSmallGroup?: 'warn' | 'fail';
  /** How the prediction log keeps protected attributes sent to the model server: salted hash or not at all. */
  logProtected?: 'hash' | 'drop';
}

export const GOVERNANCE_DEFAULTS = { minGroupSize: 30, minGroupShare: 0.01, onSmallGroup: 'warn' as const };

export interface GroupShare {
  value: string | null;
  count: number;
  share: number;
  tooSmall: boolean;
}

export interface GovernanceReport {
  license: string | null;
  purpose: string | null;
  prohibited: string[];
  protected: string[];
  representation: { attribute: string; groups: GroupShare[] }[];
  warnings: string[];
}

/** Refuses a run whose purpose the data's terms exclude. */
export function checkPurpose(g: GovernanceSpec): void {
  const purpose = g.purpose;
  if (g.prohibitedPurposes?.length || g.allowedPurposes?.length) {
    if (!purpose) throw new GovernanceError("the data's terms restrict its purposes, but governance.purpose does not say what this model is for");
    if (g.prohibitedPurposes?.includes(purpose)) {
      throw new GovernanceError(
        `the terms of ${g.license ?? 'this dataset'} exclude the purpose ${JSON.stringify(purpose)} (excluded: ${g.prohibitedPurposes.join(', ')})`,
      );
    }
    if (g.allowedPurposes?.length && !g.allowedPurposes.includes(purpose)) {
      throw new GovernanceError(`the terms of ${g.license ?? 'this dataset'} allow only ${g.allowedPurposes.join(', ')}, not ${JSON.stringify(purpose)}`);
    }
  }
}

export async function governanceReport(conn: DuckDBConnection, table: string, g: GovernanceSpec): Promise<GovernanceReport> {
  checkPurpose(g);
  const minSize = g.minGroupSize ?? GOVERNANCE_DEFAULTS.minGroupSize;
  const minShare = g.minGroupShare ?? GOVERNANCE_DEFAULTS.minGroupShare;
  const representation: GovernanceReport['representation'] = [];
  const warnings: string[] = [];
  for (const attribute of g.protected ?? []) {
    const col = ident(attribute);
    const res = await conn.runAndReadAll(
      `SELECT ${col}::VARCHAR AS v, count(*)::BIGINT AS n, (count(*) / sum(count(*)) OVER ())::DOUBLE AS share FROM ${table} GROUP BY 1 ORDER BY 2 DESC, 1`,
    );
    const groups = res.getRowObjectsJS().map((r) => {
      const count = Number(r.n);
      const share = Number(r.share);
      return { value: r.v === null ? null : String(r.v), count, share, tooSmall: count < minSize || share < minShare };
    });
    for (const grp of groups.filter((x) => x.tooSmall)) {
      warnings.push(
        `${attribute}=${grp.value ?? '(missing)'}: ${grp.count} rows (${(grp.share * 100).toFixed(2)}%), below ${minSize} rows or ${(minShare * 100).toFixed(2)}%; its fairness metrics will be unreliable`,
      );
    }
    representation.push({ attribute, groups });
  }
  if (warnings.length > 0 && (g.onSmallGroup ?? GOVERNANCE_DEFAULTS.onSmallGroup) === 'fail') {
    throw new GovernanceError(`under-represented groups (governance.onSmallGroup is "fail"):\n${warnings.join('\n')}`);
  }
  return { license: g.license ?? null, purpose: g.purpose ?? null, prohibited: g.prohibited ?? [], protected: g.protected ?? [], representation, warnings };
}
