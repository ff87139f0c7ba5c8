// `npm run bench [name…]`: runs the named benchmarks (all when none is named) and rewrites their
// sections of bench/RESULTS.md. Benchmarks are never run as tests.
import type { Benchmark } from './harness';
import { measure, RESULTS_FILE, runChild, section, writeSection } from './harness';
import { driftBench } from './drift.bench';
import { domainFalseAlarms } from './monitoring.bench';
import { ingestCsv3m, ingestParquet300k, ingestParquet3m } from './data.bench';
import { partitionedIngestValidate30m, partitionOverhead } from './partitioned.bench';
import { deriveOnline, features3m } from './features.bench';
import { featurestoreMaterialize, featurestoreOnline, featurestoreTrainingSet } from './featurestore.bench';
import { gbdtAucVsSklearn, gbdtFit100k, gbdtFit1m, gbdtFitTimeVsSklearn } from './gbdt.bench';
import { gbdtMixedAucVsSklearn, gbdtMixedCpuVsSklearn, gbdtMixedFitVsSklearn } from './gbdt-mixed.bench';
import { logregAucVsSklearn, logregFit1m, logregMixedVsSklearn } from './linear.bench';
import { servingBatch, servingP99, servingProtocols, servingProtocolsP99, servingThroughput, servingTokens } from './serving.bench';
import { servingAb } from './serving-ab.bench';
import { installCold, upRestart, upWarm } from './stack.bench';
import { load50 } from './load.bench';
import { targetsDemo } from './targets.bench';
import { consolePages } from './console.bench';
import { ctDefault10m, ctDefault1m, ctGbdt10m, ctGbdt1m } from './pipeline-scale.bench';

const BENCHMARKS: Benchmark[] = [
  installCold,
  upWarm,
  upRestart,
  ingestParquet300k,
  ingestParquet3m,
  ingestCsv3m,
  partitionedIngestValidate30m,
  partitionOverhead,
  features3m,
  deriveOnline,
  featurestoreMaterialize,
  featurestoreTrainingSet,
  featurestoreOnline,
  driftBench,
  domainFalseAlarms,
  logregFit1m,
  logregAucVsSklearn,
  logregMixedVsSklearn,
  gbdtFit100k,
  gbdtFit1m,
  gbdtAucVsSklearn,
  gbdtFitTimeVsSklearn,
  gbdtMixedFitVsSklearn,
  gbdtMixedCpuVsSklearn,
  gbdtMixedAucVsSklearn,
  servingThroughput,
  servingP99,
  servingBatch,
  servingProtocols,
  servingProtocolsP99,
  servingTokens,
  servingAb,
  load50,
  ctGbdt1m,
  ctDefault1m,
  ctDefault10m,
  ctGbdt10m,
  consolePages,
  targetsDemo,
];

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--child') {
    const bench = BENCHMARKS.find((b) => b.name === argv[1]);
    if (!bench) throw new Error(`no benchmark named ${argv[1]}`);
    await runChild(bench);
    return 0;
  }
  const unknown = argv.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const chosen = argv.length > 0 ? BENCHMARKS.filter((b) => argv.includes(b.name)) : BENCHMARKS;
  for (const bench of chosen) {
    console.log(`${bench.name}: ${bench.runs} run(s)`);
    const results = measure(bench, __filename, (line) => console.log(line));
    writeSection(RESULTS_FILE, bench.name, section(bench, results));
    console.log(`${bench.name}: written to ${RESULTS_FILE}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
