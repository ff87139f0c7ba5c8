// How a failed `train` activity of an external trainer reads in the run's failure: the trainer's own type and
// message, "no trainer is polling task queue <q>" when nothing picked the task up, a timeout after the last attempt.
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../core/spec';
import { trainerFailure } from '../../workflows/external-train';

const external = parseSpec({ data: { uri: 'x.csv' }, target: 'y', training: { external: { taskQueue: 'py', scheduleTimeout: '30s' } } }).training.external!;
const failed = (cause: Error): ActivityFailure =>
  new ActivityFailure('Activity task failed', 'train', '9', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'trainer@host', cause);

describe('a failed external train activity', () => {
  it("keeps the trainer's error type and message", () => {
    const f = trainerFailure(failed(ApplicationFailure.create({ type: 'ValueError', message: 'no usable rows' })), external) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect([f.type, f.message, f.nonRetryable]).toEqual(['ValueError', 'the trainer on task queue py failed with ValueError: no usable rows', true]);
  });

  it('says no trainer is polling when the task waited past scheduleTimeout', () => {
    const f = trainerFailure(failed(new TimeoutFailure('activity timeout', undefined, 'SCHEDULE_TO_START')), external) as ApplicationFailure;
    expect(f.type).toBe('TrainerUnavailable');
    expect(f.message).toMatch(/^no trainer is polling task queue py: nothing picked up the train task within 30s/);
  });

  it('names the timeout that ended the last attempt, and passes other errors through', () => {
    const f = trainerFailure(failed(new TimeoutFailure('activity timeout', undefined, 'HEARTBEAT')), external) as ApplicationFailure;
    expect([f.type, f.message]).toEqual(['TrainerTimedOut', 'the trainer on task queue py timed out (HEARTBEAT) on its last attempt']);
    const other = new Error('cancelled');
    expect(trainerFailure(other, external)).toBe(other);
  });
});
