// `mlops spec validate FILE`: OK and exit 0 for a good spec; every refusal and exit 2 for a bad one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, UsageError } from '../../starters/mlops';

const dir = mkdtempSync(path.join(os.tmpdir(), 'spec-validate-'));
function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('mlops spec validate', () => {
  it('prints one OK line for a valid spec, $schema included, and the spec with its defaults with --json', async () => {
    const good = file('good.json', { $schema: '../schema/pipeline-spec.schema.json', data: { uri: 'weather.csv' }, target: 'weather' });
    let io = capture();
    expect(await main(['spec', 'validate', good])).toBe(0);
    expect(io.out).toEqual([`ok: ${good} is a valid pipeline spec (model weather-weather, target weather, task inferred)`]);
    expect(io.err).toEqual([]);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['spec', 'validate', good, '--json'])).toBe(0);
    expect(JSON.parse(io.out[0]!)).toMatchObject({ name: 'weather-weather', training: { trials: 8, seed: 42 }, deploy: { alias: 'production' } });
  });

  it('exits 2 naming every wrong field, each line with the file', async () => {
    const bad = file('bad.json', { data: { uri: 'x.csv', 'a b': 1 }, training: { trials: 0 }, deploy: { strategy: 'yolo' } });
    const io = capture();
    expect(await main(['spec', 'validate', bad])).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual([
      `${bad}: spec.data["a b"] is not a field of data (fields: uri, format, delimiter, keys, feedback, maxFeedbackShare, partitionRows)`,
      `${bad}: spec.target is required: the column to predict`,
      `${bad}: spec.training.trials must be an integer from 1 to 1000, got 0`,
      `${bad}: spec.deploy.strategy must be replace, canary, ab or shadow, got "yolo"`,
      `${bad}: 4 problems; the fields and their defaults: schema/pipeline-spec.schema.json`,
    ]);
  });

  it('refuses a missing file, a file that is not JSON and a missing argument as usage errors (exit 2)', async () => {
    await expect(main(['spec', 'validate', path.join(dir, 'nope.json')])).rejects.toThrow(/nope.json: no such file/);
    await expect(main(['spec', 'validate', file('broken.json', '{"data": ')])).rejects.toThrow(/broken.json is not valid JSON/);
    await expect(main(['spec', 'validate'])).rejects.toThrow(UsageError);
    const io = capture();
    expect(await main(['spec', 'validate', file('array.json', [])])).toBe(2);
    expect(io.err[0]).toMatch(/array.json: the spec must be a JSON object with at least data.uri and target/);
  });
});
