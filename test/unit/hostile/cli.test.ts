// Hostile command lines: whatever argv arrives, the CLI's parse layer ends in help (exit 0), a usage error
// (exit 2, one `mlops: …` line, no stack trace) or exactly one command action with values of the declared
// types. Actions are swapped for recorders here so nothing contacts a service; the checks that real actions
// make before touching any service (spec files and flags, drift and advance options) run for real.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { driftCommand } from '../../../starters/drift-command';
import { COMMANDS, cli, main, UsageError, type Command } from '../../../starters/mlops';
import { advanceCommand, pipelineInput } from '../../../starters/pipeline-commands';

const calls: { name: string; values: Record<string, unknown>; positionals: string[] }[] = [];
const saved = new Map<Command, Command['action']>();
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-hostile-cli-'));
let printed: string[] = [];

beforeAll(() => {
  for (const c of COMMANDS) {
    saved.set(c, c.action);
    c.action = async (args) => {
      calls.push({ name: c.name, ...args });
      return 0;
    };
  }
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
});

afterAll(() => {
  for (const [c, action] of saved) c.action = action;
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const words = [...new Set(COMMANDS.flatMap((c) => c.name.split(' ')))];
const options = [...new Set(COMMANDS.flatMap((c) => Object.keys(c.options ?? {})))];
const token = fc.oneof(
  fc.constantFrom(...words),
  fc.constantFrom(...options).map((o) => `--${o}`),
  fc.tuple(fc.constantFrom(...options), fc.string({ maxLength: 12 })).map(([o, v]) => `--${o}=${v}`),
  fc.constantFrom(
    '-h',
    '--help',
    'help',
    '--',
    '-',
    '-x',
    '-abc',
    '--no-wait',
    '---',
    '=',
    '',
    ' ',
    '--=',
    '--json=false',
    '\0',
    '$(rm -rf /)',
    '../../etc/passwd',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
/** Mostly a real command followed by anything; sometimes anything at all. */
const argv = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...COMMANDS.map((c) => c.name.split(' '))), fc.array(token, { maxLength: 6 })).map(([c, rest]) => [...c, ...rest]),
  },
  { weight: 1, arbitrary: fc.array(token, { maxLength: 6 }) },
);

function declaredType(c: Command, key: string): string | undefined {
  const o = (c.options ?? {})[key];
  return o ? (o.multiple ? `${o.type}[]` : o.type) : undefined;
}

describe('mlops argument handling under hostile argv', () => {
  it('main: help, a UsageError, or one action with values of the declared types', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        calls.length = 0;
        let code: number | undefined;
        let error: unknown;
        try {
          code = await main(args);
        } catch (err) {
          error = err;
        }
        if (error !== undefined) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message.length).toBeGreaterThan(0);
          expect(calls).toHaveLength(0);
          return;
        }
        expect([0, 2]).toContain(code);
        expect(calls.length).toBeLessThanOrEqual(1);
        for (const call of calls) {
          const command = COMMANDS.find((c) => c.name === call.name)!;
          expect(call.positionals.every((p) => typeof p === 'string')).toBe(true);
          for (const [key, value] of Object.entries(call.values)) {
            const want = declaredType(command, key);
            expect(want, `--${key} is not an option of ${call.name}`).toBeDefined();
            const got = Array.isArray(value) ? `${typeof value[0]}[]` : typeof value;
            if (!(Array.isArray(value) && value.length === 0)) expect(got).toBe(want);
          }
        }
      }),
      { numRuns: 600 },
    );
  });

  it('cli: exits 0 or 2, and a refusal is one `mlops:` line without a stack trace', async () => {
    const exit = vi.spyOn(process, 'exit');
    try {
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          printed = [];
          const code = await new Promise<number>((resolve) => {
            exit.mockImplementation(((c?: number) => resolve(c ?? 0)) as never);
            cli(args);
          });
          expect([0, 2]).toContain(code);
          for (const line of printed) {
            expect(line).toMatch(/^mlops[: ]/);
            expect(line).not.toMatch(/\n\s+at /);
          }
          if (code === 2 && args.length > 0) expect(printed.length).toBeGreaterThan(0);
        }),
        { numRuns: 300 },
      );
    } finally {
      exit.mockRestore();
    }
  });
});

/** Valid JSON specs, broken ones, and bytes that are not JSON at all. */
const specText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      data: fc.option(fc.record({ uri: fc.oneof(fc.string(), fc.jsonValue()) }), { nil: undefined }),
      target: fc.option(fc.oneof(fc.string(), fc.jsonValue()), { nil: undefined }),
      name: fc.option(fc.jsonValue(), { nil: undefined }),
    })
    .map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom('', '{', '[]', 'null', '"spec"', '{"data":{"uri":"a.csv"},"target":"y"}', '\uFEFF{"data":{"uri":"a.csv"},"target":"y"}'),
);
const flag = fc.option(fc.string({ unit: 'binary', maxLength: 30 }), { nil: undefined });

describe('checks commands make before contacting any service', () => {
  it('run ct|manual and schedule create: any --spec file and flags give a pipeline input or a UsageError', () => {
    let i = 0;
    fc.assert(
      fc.property(specText, flag, flag, flag, (text, data, target, name) => {
        const file = path.join(dir, `spec-${i++}.json`);
        writeFileSync(file, text);
        try {
          const input = pipelineInput({ spec: file, data, target, name });
          expect(typeof input.name).toBe('string');
          expect(input.name).toMatch(/^[a-z0-9][a-z0-9_.-]{0,62}$/);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message).toMatch(/spec/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a --spec that is missing or a directory is a UsageError naming it', () => {
    expect(() => pipelineInput({ spec: path.join(dir, 'nope.json') })).toThrow(/nope\.json: no such file/);
    expect(() => pipelineInput({ spec: dir })).toThrow(UsageError);
  });

  it('drift: a method or correction outside the list, or a missing dataset, is a UsageError', async () => {
    const bad = fc
      .string({ maxLength: 15 })
      .filter((s) => !['auto', 'ks', 'chisquare', 'ztest', 'psi', 'jensenshannon', 'wasserstein', 'none', 'bonferroni', 'bh'].includes(s));
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        bad,
        bad,
        async (reference, current, method, correction) => {
          await expect(driftCommand({ reference, current, method, correction })).rejects.toThrow(UsageError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('advance: no id, an unknown --stage, or --reject without --reason is a UsageError', async () => {
    const stage = fc
      .string({ maxLength: 12 })
      .filter((s) => !['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy'].includes(s));
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), stage, async (id, s) => {
        await expect(advanceCommand(undefined, {})).rejects.toThrow(UsageError);
        await expect(advanceCommand(id, { stage: s })).rejects.toThrow(UsageError);
        await expect(advanceCommand(id, { reject: true })).rejects.toThrow(/--reject needs --reason/);
      }),
      { numRuns: 100 },
    );
  });
});
