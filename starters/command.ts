// One `mlops` command as the table describes it, and what the table's parts share.
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** e.g. "run manual" */
  name: string;
  usage: string;
  summary: string;
  options?: Options;
  action: (args: { values: Record<string, unknown>; positionals: string[] }) => Promise<number | void>;
}

export const json = { json: { type: 'boolean' } } as const;

/** The one positional argument a command takes (undefined when none is given). */
export function single(positionals: string[], what: string): string | undefined {
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}
