// Run priorities: which runs' tasks the server dispatches first, and the per-model fairness key.
import { describe, expect, it } from 'vitest';
import { runPriority, TRIGGER_PRIORITY } from '../../core/priority';

describe('runPriority', () => {
  it('puts drift-triggered and manual runs before scheduled ones', () => {
    expect(runPriority('drift', 'm').priorityKey).toBeLessThan(runPriority('schedule', 'm').priorityKey);
    expect(runPriority('manual', 'm').priorityKey).toBeLessThan(runPriority('schedule', 'm').priorityKey);
    expect(runPriority('drift', 'm').priorityKey).toBeLessThan(runPriority('manual', 'm').priorityKey);
    for (const key of Object.values(TRIGGER_PRIORITY)) expect(key >= 1 && key <= 5).toBe(true);
  });

  it('uses the model as fairness key, cut to the server’s 64 bytes at a character boundary', () => {
    expect(runPriority('manual', 'churn').fairnessKey).toBe('churn');
    const long = `${'é'.repeat(40)}`; // 80 bytes in UTF-8
    const key = runPriority('manual', long).fairnessKey;
    expect(Buffer.byteLength(key)).toBe(64);
    expect(key).toBe('é'.repeat(32));
  });
});
