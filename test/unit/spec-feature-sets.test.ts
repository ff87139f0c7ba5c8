// features.sets in the pipeline spec: the shape, defaults echoed, and every mistake named by its field.
import { describe, expect, it } from 'vitest';
import { planFeatures } from '../../core/features/plan';
import { parseSpec, SpecError } from '../../core/spec';
import { servedFeatureSets } from '../../core/predict/served-model';
import { pinFeatureSets } from '../../workflows/run';

const base = { data: { uri: 'events.csv' }, target: 'churned', time: 'event_time' };
const withSets = (features: Record<string, unknown>, extra: Record<string, unknown> = {}) => parseSpec({ ...base, ...extra, features });

describe('spec features.sets', () => {
  it('accepts sets with an entity, echoes prefixed, and parses to itself', () => {
    const spec = withSets({ sets: [{ name: 'customer_stats', version: 2, features: ['avg_spend', 'visits'] }, { name: 'plans' }], entity: 'customer_id' });
    expect(spec.features).toEqual({
      sets: [{ name: 'customer_stats', version: 2, features: ['avg_spend', 'visits'] }, { name: 'plans' }],
      entity: 'customer_id',
      prefixed: false,
    });
    expect(parseSpec(spec)).toEqual(spec);
    expect(withSets({ sets: [{ name: 'plans' }], entity: 'customer_id', prefixed: true }).features.prefixed).toBe(true);
    // Without sets nothing new appears, so specs and their hashes stay as they were.
    expect(parseSpec({ ...base, features: { exclude: ['x'] } }).features).toEqual({ exclude: ['x'] });
  });

  it('rejects bad sets naming the field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ sets: [], entity: 'c' }, /^spec\.features\.sets must be a non-empty list of feature sets like \{ "name": "customer_stats"/],
      [{ sets: 'customer_stats', entity: 'c' }, /spec\.features\.sets must be a non-empty list/],
      [{ sets: ['customer_stats'], entity: 'c' }, /spec\.features\.sets\[0\] must be an object like/],
      [
        { sets: [{ name: 'Customer Stats' }], entity: 'c' },
        /spec\.features\.sets\[0\]\.name must be a feature set's name \(1-63 of a-z 0-9 _ - starting with a letter or digit\), got "Customer Stats"/,
      ],
      [{ sets: [{}], entity: 'c' }, /spec\.features\.sets\[0\]\.name is required: a feature set's name \(1-63/],
      [
        { sets: [{ name: 'a', version: 0 }], entity: 'c' },
        /spec\.features\.sets\[0\]\.version must be a positive integer \(omit it for the latest version\), got 0/,
      ],
      [{ sets: [{ name: 'a', version: '2' }], entity: 'c' }, /spec\.features\.sets\[0\]\.version must be a positive integer .*got "2"/],
      [
        { sets: [{ name: 'a', features: [] }], entity: 'c' },
        /spec\.features\.sets\[0\]\.features must be a non-empty list of feature names \(omit it for all of the set's features\)/,
      ],
      [{ sets: [{ name: 'a', features: ['x', 'x'] }], entity: 'c' }, /spec\.features\.sets\[0\]\.features lists "x" twice/],
      [
        { sets: [{ name: 'a', colour: 'red' }], entity: 'c' },
        /spec\.features\.sets\[0\]\.colour is not a field of a feature-set reference \(fields: name, version, features\)/,
      ],
      [{ sets: [{ name: 'a' }, { name: 'a', version: 2 }], entity: 'c' }, /spec\.features\.sets\[1\]: feature set "a" is listed twice/],
      [{ sets: [{ name: 'a' }] }, /spec\.features\.entity is required with features\.sets: the column of data\.uri that holds the entity key/],
      [{ sets: [{ name: 'a' }], entity: '' }, /spec\.features\.entity must name a column of data\.uri, got ""/],
      [{ sets: [{ name: 'a' }], entity: 'c', prefixed: 'yes' }, /spec\.features\.prefixed must be true or false, got "yes"/],
      [{ entity: 'c' }, /spec\.features\.entity is only used with features\.sets/],
      [{ prefixed: true }, /spec\.features\.prefixed is only used with features\.sets/],
      [{ sets: [{ name: 'a' }], entity: 'churned' }, /spec\.features\.entity "churned" is the target/],
      [{ sets: [{ name: 'a' }], entity: 'event_time' }, /spec\.features\.entity and spec\.time name the same column "event_time"/],
    ];
    for (const [features, message] of bad) {
      expect(() => withSets(features), JSON.stringify(features)).toThrow(SpecError);
      expect(() => withSets(features), JSON.stringify(features)).toThrow(message);
    }
  });

  it("needs the events' time column with sets", () => {
    expect(() => parseSpec({ data: { uri: 'events.csv' }, target: 'churned', features: { sets: [{ name: 'a' }], entity: 'c' } })).toThrow(
      'spec.time is required with features.sets: the event-time column of data.uri (each event joins the feature values as of that time)',
    );
  });

  it('keeps the entity key out of the model inputs unless included by name', () => {
    const columns = [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'event_time', type: 'TIMESTAMP' },
      { name: 'channel', type: 'VARCHAR' },
      { name: 'avg_spend', type: 'DOUBLE' },
      { name: 'churned', type: 'BIGINT' },
    ];
    const spec = withSets({ sets: [{ name: 'customer_stats' }], entity: 'customer_id' });
    const plan = planFeatures({ columns, target: spec.target, time: spec.time, features: spec.features });
    expect(plan.features.map((f) => f.name)).toEqual(['channel', 'avg_spend']);
  });

  it('pins the joined versions and features in the spec a model version records, which serving reads back', () => {
    const spec = withSets({ sets: [{ name: 'customer_stats' }], entity: 'customer_id', prefixed: true });
    const pinned = pinFeatureSets(spec, [
      { name: 'customer_stats', version: 3, columns: { avg_spend: 'customer_stats__avg_spend', visits: 'customer_stats__visits' } },
    ]);
    expect(pinned.features.sets).toEqual([{ name: 'customer_stats', version: 3, features: ['avg_spend', 'visits'] }]);
    expect(parseSpec(pinned)).toEqual(pinned);
    // The server looks up only the fields the model reads (visits was not selected).
    const fields = new Map([
      ['customer_stats__avg_spend', 'numeric'],
      ['channel', 'categorical'],
    ]);
    expect(servedFeatureSets(pinned, fields)).toEqual([
      { name: 'customer_stats', version: 3, entity: 'customer_id', fields: [['avg_spend', 'customer_stats__avg_spend']] },
    ]);
    expect(servedFeatureSets(spec, fields)).toEqual([]); // unpinned: nothing to look up
  });
});
