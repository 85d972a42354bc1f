/**
 * `npm run bench -- <name> [args...]`: runs bench/<name>.ts, which prints one JSON line of figures.
 * Each benchmark measures a baseline in the same run and reports ratios to it (these machines are noisy).
 */
import path from 'node:path';
import fs from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .map((f) => f.replace(/\.js$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args...]`);
  process.exit(2);
}
process.argv = [process.argv[0], path.join(__dirname, `${name}.js`), ...rest];
void import(path.join(__dirname, `${name}.js`));
