// Monitoring quality: how often the domain-classifier check cries drift on calm traffic (the training
// reference and a window drawn from the same distribution), and how often it sees a small shift. The sizes
// are the monitor's: a 5,000-row reference and a 600-row window, 6 numeric and 2 categorical columns.
import { domainClassifierCheck } from '../core/monitor/domain-classifier';
import type { Benchmark } from './harness';
import { domainColumns } from './monitoring-data';

const WINDOWS = 200;

export const domainFalseAlarms: Benchmark = {
  name: 'domain-classifier-false-alarms',
  what:
    `Share of ${WINDOWS} calm windows (600 rows drawn like the 5,000-row reference; 6 numeric, 2 categorical columns) ` +
    'on which the domain-classifier check (held-out AUC, 999 label permutations, alpha 0.01) reports drift; details: ' +
    'the share it flags when every numeric mean moves by 0.1 and 0.2 standard deviations, and seconds per check.',
  unit: 'false-alarm rate',
  target: 0.01,
  better: 'lower',
  runs: 1,
  run: async () => {
    const started = performance.now();
    let calm = 0;
    for (let seed = 1; seed <= WINDOWS; seed++) if (domainClassifierCheck(domainColumns({ reference: 5000, current: 600, seed })).drift) calm++;
    const secondsPerCheck = (performance.now() - started) / 1000 / WINDOWS;
    const detected = (shift: number): number => {
      let n = 0;
      for (let seed = 1; seed <= 50; seed++) if (domainClassifierCheck(domainColumns({ reference: 5000, current: 600, seed: 10_000 + seed, shift })).drift) n++;
      return n / 50;
    };
    return {
      figure: calm / WINDOWS,
      details: { 'detected at 0.1 sd': detected(0.1), 'detected at 0.2 sd': detected(0.2), 'seconds per check': Math.round(secondsPerCheck * 1000) / 1000 },
    };
  },
};
