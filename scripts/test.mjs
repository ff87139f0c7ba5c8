#!/usr/bin/env node
// `npm test`: everything a fresh machine needs, then the suites. Installs npm dependencies when they
// are missing or stale, builds, lints (`npm run lint`), brings the local stack up (installing it the first
// time), then runs each vitest suite and prints its time. `npm test -- unit` runs one suite (`-- workflows` needs no stack).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, setup, step, steps } from './setup.mjs';

const SUITES = [
  // Unit files touch no service and share no module state (no module mocks; spies are restored), so each test
  // worker loads the product once for all its files: loading it again per file was half the suite's time.
  { name: 'unit', dir: 'test/unit', needsStack: false, args: ['--no-isolate'] },
  // Orchestration on Temporal's time-skipping test server with mock activities: no stack, days in milliseconds.
  // Its files mostly wait on their own test server, so more of them than cores run at once.
  { name: 'workflows', dir: 'test/workflows', needsStack: false, needsTestServer: true, args: ['--maxWorkers=3'] },
  // Integration files mostly wait on the stack (workflow tasks, timers, child processes), so two run at once even
  // on two cores (vitest's default is one fewer worker than cores): 10 of them took 214 s, not 370 s, one at a time.
  { name: 'integration', dir: 'test/integration', needsStack: true, needsBrowser: true, args: ['--maxWorkers=2'] },
  // Each fault file brings up a stack of its own (free ports, a temporary MLOPS_HOME; `mlops up` first only
  // to install the binaries it reuses) and breaks it on purpose; one file at a time.
  { name: 'faults', dir: 'test/faults', needsStack: true, args: ['--no-file-parallelism'] },
];

const wanted = process.argv.slice(2);
const suites = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
if (suites.length === 0) {
  console.error(`unknown suite(s) ${wanted.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const firstLine = (message) => (message ?? '').split('\n').find((l) => l.trim()) ?? '';

const total = Date.now();
if (!setup()) process.exit(1);
if (
  !(await steps([
    { title: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'] },
    { title: 'typecheck tests', cmd: 'npm', args: ['run', '--silent', 'typecheck'] },
  ]))
)
  process.exit(1);
if (suites.some((s) => s.needsTestServer) && !step('time-skipping test server', 'node', ['scripts/setup.mjs', '--test-server'])) process.exit(1);
if (suites.some((s) => s.needsBrowser) && !step('headless Chromium', 'node', ['scripts/setup.mjs', '--browser'])) process.exit(1);
if (suites.some((s) => s.needsStack) && !step('local stack (mlops up)', 'node', ['bin/mlops.js', 'up'])) process.exit(1);

let passed = 0;
let failed = 0;
const failures = [];
let ok = true;
const times = [];
for (const suite of suites) {
  const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlops-test-')), 'report.json');
  const started = Date.now();
  const success = step(`suite ${suite.name}`, 'npx', [
    'vitest',
    'run',
    suite.dir,
    ...(suite.args ?? []),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ]);
  times.push(`${suite.name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ok &&= success;
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    // A file that fails to load counts as a failure even though no test in it ran.
    failed += r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    // Named again at the end, where a truncated log still shows them.
    for (const file of r.testResults) {
      const where = path.relative(root, file.name);
      const tests = file.assertionResults.filter((a) => a.status === 'failed');
      for (const t of tests) failures.push(`${where} > ${t.fullName}: ${firstLine(t.failureMessages[0])}`);
      if (file.status === 'failed' && tests.length === 0) failures.push(`${where}: ${firstLine(file.message)}`);
    }
  } else if (!success) {
    failed += 1;
  }
}
console.log(`\nsuite times: ${times.join(', ')}; total ${((Date.now() - total) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
for (const f of failures) console.log(`  FAILED ${f}`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
