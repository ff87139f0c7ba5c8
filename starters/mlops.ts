// The `mlops` CLI. Exit codes: 0 done, 2 invalid input, 1 any other failure.
// Errors print one clear message, never a stack trace.
import { parseArgs } from 'node:util';
import { invalidInputKind } from '../core/invalid-input';
import { COMMANDS, type Command } from './commands';
import { UsageError } from './usage-error';

export { COMMANDS, UsageError };
export type { Command };

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['Usage: mlops <command> [options]   (mlops <command> --help for its options)', '', 'Commands:', ...lines].join('\n');
}

/** Finds the longest command name that prefixes argv. */
export function resolveCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = resolveCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `)).map((c) => c.name.split(' ')[1]);
    if (group.length > 0) throw new UsageError(`mlops ${argv[0]}: expected one of ${group.join(', ')}`);
    throw new UsageError(`unknown command ${JSON.stringify(argv[0])}; run \`mlops --help\` for the list`);
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command.name}: ${(err as Error).message}`);
  }
  return (await command.action(parsed)) ?? 0;
}

/** Runs the CLI and exits the process with its code. */
export function cli(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // Invalid input (core/errors.ts) exits 2, whichever command met it; anything else is 1.
      const invalid = invalidInputKind(err) !== undefined;
      console.error(`mlops: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(invalid ? 2 : 1);
    },
  );
}
