#!/usr/bin/env node
// Records a finished workflow's history under test/histories/NAME.json (with the Temporal CLI that
// `mlops up` installed); the replay test runs every recorded history against the current workflow code,
// so a non-deterministic change fails CI.
// Usage: node scripts/record-history.mjs WORKFLOW_ID NAME [RUN_ID]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { loadConfig } = require('../dist/core/config');
const { cacheDir, TEMPORAL_CLI } = require('../dist/infra/install');

const [workflowId, name, runId] = process.argv.slice(2);
if (!workflowId || !name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node scripts/record-history.mjs WORKFLOW_ID NAME [RUN_ID]   (NAME: a-z 0-9 -)');
  process.exit(2);
}
const config = loadConfig();
const temporal = path.join(cacheDir(), `temporal-${TEMPORAL_CLI.version}`, 'temporal');
const args = ['workflow', 'show', '--address', config.temporal.address, '--namespace', config.temporal.namespace, '-w', workflowId, '-o', 'json'];
if (runId) args.push('-r', runId);
const json = execFileSync(temporal, args, { maxBuffer: 256 * 1024 * 1024 }).toString();
const history = JSON.parse(json);
const events = history.events ?? [];
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const file = path.join(root, 'test', 'histories', `${name}.json`);
// The workflow id goes with the history: replay needs it (the CT workflow behaves by its id).
writeFileSync(file, `${JSON.stringify({ workflowId, ...history }, null, 2)}\n`);
console.log(`recorded ${events.length} events of ${workflowId} to ${file}`);
