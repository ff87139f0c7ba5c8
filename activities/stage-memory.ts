// The peak resident set of the worker process while one stage runs, recorded with the stage (lineage params
// `peakRssMb`) so a run's memory can be read stage by stage. Two sources, because neither alone is honest: the
// kernel's high-water mark (exact, but for the whole process lifetime) counts only when it rose during the
// stage; otherwise the stage's peak is the largest of RSS samples taken every SAMPLE_MS, a lower bound.
// The process is shared: with several activity slots busy, the figure covers everything the worker held then.

const SAMPLE_MS = 100;

const highWaterMb = (): number => process.resourceUsage().maxRSS / 1024;
const rssMb = (): number => process.memoryUsage.rss() / (1024 * 1024);

export interface StageMemory {
  /** Stops sampling; the stage's peak RSS in MB (rounded). */
  stop(): number;
}

export function watchStageMemory(): StageMemory {
  const before = highWaterMb();
  let sampled = rssMb();
  const timer = setInterval(() => {
    sampled = Math.max(sampled, rssMb());
  }, SAMPLE_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sampled = Math.max(sampled, rssMb());
      const after = highWaterMb();
      return Math.round(after > before ? Math.max(after, sampled) : sampled);
    },
  };
}
