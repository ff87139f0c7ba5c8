// The `mlops` command table: every command's name, usage, summary, options and action, in the order help lists
// them. The dispatcher is starters/mlops.ts.
import type { Command } from './command';
import { REGISTRY_COMMANDS } from './commands-registry';
import { RUN_COMMANDS } from './commands-runs';
import { STACK_COMMANDS } from './commands-stack';

export type { Command } from './command';

export const COMMANDS: Command[] = [...STACK_COMMANDS, ...RUN_COMMANDS, ...REGISTRY_COMMANDS];
