import { describe, expect, it, vi } from 'vitest';
import { COMMANDS, main, resolveCommand, UsageError } from '../../starters/mlops';

describe('mlops CLI', () => {
  it('has every command of the contract, each with usage and summary', () => {
    const names = COMMANDS.map((c) => c.name);
    for (const n of [
      'up',
      'down',
      'status',
      'worker',
      'serve',
      'demo',
      'synth',
      'run manual',
      'run ct',
      'run cicd',
      'advance',
      'schedule create',
      'schedule list',
      'schedule delete',
      'schedule trigger',
      'schedule pause',
      'schedule unpause',
      'schema show',
      'schema accept',
      'drift',
      'models list',
      'models show',
      'models promote',
      'models rollback',
      'runs list',
      'runs compare',
      'lineage',
      'pipeline versions',
      'pipeline rollback',
      'features apply',
      'features materialize',
      'features get',
      'gc',
    ]) {
      expect(names).toContain(n);
    }
    for (const c of COMMANDS) expect(c.usage.startsWith(`mlops ${c.name}`)).toBe(true);
  });

  it('resolves two-word commands before one-word ones', () => {
    expect(resolveCommand(['run', 'ct', '--wait'])?.command.name).toBe('run ct');
    expect(resolveCommand(['status', '--json'])?.rest).toEqual(['--json']);
  });

  it('has every command of the contract built', () => {
    expect(COMMANDS.filter((c) => !c.action).map((c) => c.name)).toEqual([]);
  });

  it('prints help for every command and exits 0', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    for (const c of COMMANDS) expect(await main([...c.name.split(' '), '--help'])).toBe(0);
    out.mockRestore();
  });

  it('rejects unknown commands and options with a usage error', async () => {
    await expect(main(['frobnicate'])).rejects.toThrow(UsageError);
    await expect(main(['run', 'sideways'])).rejects.toThrow(/expected one of manual, ct, cicd/);
    await expect(main(['status', '--bogus'])).rejects.toThrow(/bogus/);
  });
});
