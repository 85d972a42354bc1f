#!/usr/bin/env node
/**
 * `npm start`, `npm run cli`, `worker`, `sandbox` and `bench` build first only when the build is stale: when a
 * source file (src, bench, ormconfig.ts), a tsconfig or package.json is newer than the last build's stamp. A current
 * dist/ starts at once instead of paying for a TypeScript build on every command. With `--with-console` (npm start,
 * bench) the console's static files are rebuilt the same way when its sources or the schema changed; `--console-only`
 * (npm test, whose tests compile TypeScript themselves) builds only those.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STAMP = path.join('dist', '.build-stamp');
const SOURCES = ['src', 'bench', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const GATEWAY_FILES = /\.(ts|json)$/;
const CONSOLE_STAMP = path.join('dist', 'console', '.build-stamp');
const CONSOLE_SOURCES = ['console', 'src/schema/schema.graphql', 'scripts/console-codegen.ts', 'package.json'];
const CONSOLE_FILES = /\.(ts|tsx|mts|json|css|graphql|html|svg|png)$/;

/** The newest modification time (ms) of matching files under these paths of `root`, or 0. */
function newest(root, entries, pattern = GATEWAY_FILES) {
  let latest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      // Generated types are rewritten by every console build: they are output, not source.
      if (path.basename(file) === 'gql' || path.basename(file) === 'node_modules') return;
      for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    } else if (pattern.test(file)) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  };
  for (const entry of entries) visit(path.join(root, entry));
  return latest;
}

/** True when `root`'s build is missing or older than any source. */
function isStale(root, stamp = STAMP, sources = SOURCES, pattern = GATEWAY_FILES) {
  let built;
  try {
    built = fs.statSync(path.join(root, stamp)).mtimeMs;
  } catch {
    return true;
  }
  return newest(root, sources, pattern) > built;
}

/** Runs a build step and stamps it; returns the exit status. */
function build(root, stamp, command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) return result.status ?? 1;
  fs.writeFileSync(path.join(root, stamp), `${new Date().toISOString()}\n`);
  return 0;
}

function main() {
  const root = path.join(__dirname, '..');
  const consoleOnly = process.argv.includes('--console-only');
  if (!consoleOnly && isStale(root)) {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const status = build(root, STAMP, process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')]);
    if (status !== 0) return status;
  }
  const withConsole = consoleOnly || process.argv.includes('--with-console');
  if (withConsole && isStale(root, CONSOLE_STAMP, CONSOLE_SOURCES, CONSOLE_FILES)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const status = build(root, CONSOLE_STAMP, npm, ['run', 'build:console', '--silent']);
    if (status !== 0) return status;
  }
  return 0;
}

module.exports = { isStale, STAMP, CONSOLE_STAMP, CONSOLE_SOURCES, CONSOLE_FILES };
if (require.main === module) process.exit(main());
