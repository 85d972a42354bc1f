#!/usr/bin/env node
/**
 * `npm start`, `npm run cli`, `worker`, `sandbox` and `bench` build first only when the build is stale: when a
 * source file (src, bench, ormconfig.ts), a tsconfig or package.json is newer than the last build's stamp. A current
 * dist/ starts at once instead of paying for a TypeScript build on every command.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STAMP = path.join('dist', '.build-stamp');
const SOURCES = ['src', 'bench', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest modification time (ms) under these paths of `root`, or 0. */
function newest(root, entries) {
  let latest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    } else if (/\.(ts|json)$/.test(file)) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  };
  for (const entry of entries) visit(path.join(root, entry));
  return latest;
}

/** True when `root`'s build is missing or older than any source. */
function isStale(root) {
  let built;
  try {
    built = fs.statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return true;
  }
  return newest(root, SOURCES) > built;
}

function main() {
  const root = path.join(__dirname, '..');
  if (!isStale(root)) return 0;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) return result.status ?? 1;
  fs.writeFileSync(path.join(root, STAMP), `${new Date().toISOString()}\n`);
  return 0;
}

module.exports = { isStale, STAMP };
if (require.main === module) process.exit(main());
