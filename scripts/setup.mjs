#!/usr/bin/env node
// What `mlops` needs on a fresh clone before its first command: npm dependencies when they are missing or
// stale, then the TypeScript build. `npm test` and `npm run demo` run it first; it is quick when nothing changed.
// `--test-server` installs the time-skipping test server the workflows suite runs on instead, and prints its
// launcher's path; `--browser` installs the headless Chromium the browser tests drive, and prints its path.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Runs one titled step with its output shown; true when it succeeded. */
export function step(title, cmd, args, opts = {}) {
  const started = Date.now();
  console.log(`\n=== ${title}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`=== ${title}: ${res.status === 0 ? 'ok' : `failed (exit ${res.status ?? res.signal})`} in ${secs} s`);
  return res.status === 0;
}

/**
 * Runs independent titled steps side by side (lint and typecheck: each mostly one core) and prints each one's
 * output whole when it ends; true when all succeeded.
 */
export async function steps(list) {
  const started = Date.now();
  console.log(`\n=== ${list.map((s) => s.title).join(' + ')}`);
  const results = await Promise.all(
    list.map(
      ({ title, cmd, args }) =>
        new Promise((resolve) => {
          const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
          const out = [];
          child.stdout.on('data', (b) => out.push(b));
          child.stderr.on('data', (b) => out.push(b));
          child.once('error', (err) => out.push(Buffer.from(`${err.message}\n`)));
          child.once('close', (code, signal) => {
            const secs = ((Date.now() - started) / 1000).toFixed(1);
            process.stdout.write(Buffer.concat(out));
            console.log(`=== ${title}: ${code === 0 ? 'ok' : `failed (exit ${code ?? signal})`} in ${secs} s`);
            resolve(code === 0);
          });
        }),
    ),
  );
  return results.every(Boolean);
}

function stale() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
}

/** npm ci when needed, else the build; false when a step failed. */
export function setup() {
  // onnxruntime-node's postinstall would download GPU binaries (and fail offline): .npmrc says skip, and so
  // does the environment, which keeps working once npm stops passing unknown .npmrc keys to install scripts.
  const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  // npm ci builds too (the prepare script).
  if (stale()) return step('install npm dependencies and build (npm ci)', 'npm', ['ci'], { env: npmEnv });
  return step('build (tsc)', 'npm', ['run', '--silent', 'build']);
}

// Temporal's time-skipping test server ships as a Java artifact on Maven Central (the SDK's own download
// needs temporal.download, which a machine with only package registries cannot reach).
export const TEST_SERVER_VERSION = '1.38.0';

/** Where the test server is cached: outside the checkout, keyed by version, shared by every clone. */
export function testServerDir(env = process.env) {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'temporal-mlops', `temporal-test-server-${TEST_SERVER_VERSION}`);
}

function whichJava() {
  const candidate = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const res = spawnSync(candidate, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  if (res.status !== 0) return undefined;
  const home = /java\.home = (.+)/.exec(res.stderr)?.[1]?.trim();
  const feature = Number(/java\.specification\.version = (\d+)/.exec(res.stderr)?.[1]);
  return home ? { java: path.join(home, 'bin', 'java'), feature } : undefined;
}

function launcherText({ java, classpath, archive }) {
  const jvm = ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx512m', ...(archive ? [`-XX:SharedArchiveFile=${archive}`] : [])];
  const q = (x) => `'${x.replaceAll("'", "'\\''")}'`;
  return [
    '#!/bin/sh',
    `# Temporal time-skipping test server ${TEST_SERVER_VERSION}; @temporalio/testing runs it with the port as argument.`,
    `exec ${[java, ...jvm, '-cp', classpath, 'io.temporal.testserver.TestServer'].map(q).join(' ')} "$@"`,
    '',
  ].join('\n');
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const accepts = (port) =>
  new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => sock.end(() => resolve(true))).once('error', () => resolve(false));
  });

/**
 * Records the classes the server loads at start in a CDS archive: it starts in about a second instead of
 * four to six, well inside the 5 s the SDK waits for it. False when the JVM could not write one.
 */
async function writeClassArchive(java, classpath, archive) {
  const port = await freePort();
  const child = spawn(
    java,
    [`-XX:ArchiveClassesAtExit=${archive}`, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', classpath, 'io.temporal.testserver.TestServer', String(port)],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 120_000;
  let up = false;
  while (!up && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
    up = await accepts(port);
  }
  child.kill('SIGTERM');
  await exited;
  return up && existsSync(archive);
}

/** Installs the test server under testServerDir() when it is not there; its launcher's path, or undefined. */
export async function ensureTestServer(log = (line) => console.log(line)) {
  const dir = testServerDir();
  const launcher = path.join(dir, 'temporal-test-server');
  const java = /exec '([^']+)'/.exec(existsSync(launcher) ? readFileSync(launcher, 'utf8') : '')?.[1];
  if (java && existsSync(java)) return launcher;
  const jvm = whichJava();
  if (!jvm) return void log('the workflows suite needs Java 11 or newer (set JAVA_HOME or put java on PATH): none found');
  if (!(jvm.feature >= 11)) return void log(`the workflows suite needs Java 11 or newer; ${jvm.java} is Java ${jvm.feature}`);
  mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(dir), '.test-server-'));
  try {
    log(`installing Temporal's test server ${TEST_SERVER_VERSION} from Maven Central into ${dir}`);
    const mvn = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        path.join(root, 'infra', 'test-server', 'pom.xml'),
        'dependency:copy-dependencies',
        `-Dtemporal.test.server.version=${TEST_SERVER_VERSION}`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(tmp, 'lib')}`,
      ],
      { stdio: 'inherit' },
    );
    if (mvn.error || mvn.status !== 0)
      return void log(
        `mvn could not resolve io.temporal:temporal-test-server:${TEST_SERVER_VERSION}${mvn.error ? ` (${mvn.error.message}: install Maven 3)` : ''}`,
      );
    // The final paths: the class archive is only valid for the class path it was written with.
    const lib = path.join(dir, 'lib');
    const classpath = readdirSync(path.join(tmp, 'lib'))
      .filter((f) => f.endsWith('.jar'))
      .sort()
      .map((f) => path.join(lib, f))
      .join(':');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    const archive = path.join(dir, 'classes.jsa');
    // Dynamic class archives exist from Java 13 on.
    const archived = jvm.feature >= 13 && (await writeClassArchive(jvm.java, classpath, archive));
    if (!archived) log('note: the JVM wrote no class archive; the test server starts more slowly');
    writeFileSync(launcher, launcherText({ java: realpathSync(jvm.java), classpath, archive: archived ? archive : undefined }));
    chmodSync(launcher, 0o755);
    return launcher;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// Browser tests drive Debian's Chromium through playwright-core: no browser is downloaded at run time.
export const CHROMIUM = process.env.MLOPS_CHROMIUM || '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing (as root, like PostgreSQL); its path, or undefined. */
export function ensureBrowser(log = (line) => console.log(line)) {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0)
    return void log(`the browser tests need Chromium at ${CHROMIUM}: run \`sudo apt-get install -y chromium\` (or set MLOPS_CHROMIUM)`);
  log('installing Chromium from Debian packages (apt-get; first time only)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
  // The package index may be stale on a fresh machine: refresh it only when the first try fails.
  const installed =
    apt(['install', '-y', '-q', '--no-install-recommends', 'chromium']) ||
    (apt(['update', '-q']) && apt(['install', '-y', '-q', '--no-install-recommends', 'chromium']));
  if (!installed || !existsSync(CHROMIUM)) return void log(`apt-get could not install chromium (${CHROMIUM} is missing)`);
  return CHROMIUM;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--browser')) {
    const chromium = ensureBrowser((line) => console.error(line));
    if (chromium) console.log(chromium);
    process.exit(chromium ? 0 : 1);
  }
  if (process.argv.includes('--test-server')) {
    const launcher = await ensureTestServer((line) => console.error(line));
    if (launcher) console.log(launcher);
    process.exit(launcher ? 0 : 1);
  }
  process.exit(setup() ? 0 : 1);
}
