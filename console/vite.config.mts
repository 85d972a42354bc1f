/**
 * Builds the operator console (index.html) and GraphiQL (graphiql/index.html) into dist/console, served by the
 * gateway at /console and GET /graphql. Everything is bundled: no CDN, no external fonts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
const outDir = path.resolve(here, '../dist/console');
/** Issue 15's budget for the console's JavaScript, gzipped. */
const CONSOLE_JS_BUDGET_KB = 250;

/** Prints (and writes to dist/console/build-report.json) what the console's JavaScript weighs gzipped. */
function consoleSizeReport(): Plugin {
  return {
    name: 'console-size-report',
    writeBundle(_options, bundle) {
      const entry = Object.values(bundle).find(
        (file) => file.type === 'chunk' && file.isEntry && file.name === 'console',
      );
      if (!entry || entry.type !== 'chunk') return;
      // The entry, everything it imports and every screen it may load later.
      const seen = new Set<string>();
      const visit = (fileName: string): void => {
        const chunk = bundle[fileName];
        if (seen.has(fileName) || !chunk || chunk.type !== 'chunk') return;
        seen.add(fileName);
        [...chunk.imports, ...chunk.dynamicImports].forEach(visit);
      };
      visit(entry.fileName);
      const gz = (text: string | Uint8Array): number => gzipSync(text, { level: 9 }).length;
      const jsBytes = [...seen].reduce((sum, name) => sum + gz((bundle[name] as { code: string }).code), 0);
      const cssBytes = [...(entry.viteMetadata?.importedCss ?? [])].reduce((sum, name) => {
        const asset = bundle[name];
        return sum + (asset?.type === 'asset' ? gz(asset.source) : 0);
      }, 0);
      const report = {
        consoleJsGzipKb: Math.round(jsBytes / 102.4) / 10,
        consoleCssGzipKb: Math.round(cssBytes / 102.4) / 10,
        budgetKb: CONSOLE_JS_BUDGET_KB,
        files: [...seen].sort(),
      };
      fs.writeFileSync(path.join(outDir, 'build-report.json'), JSON.stringify(report, null, 2) + '\n');
      const verdict = report.consoleJsGzipKb <= CONSOLE_JS_BUDGET_KB ? 'within' : 'OVER';
      console.log(
        `\nconsole: ${report.consoleJsGzipKb} kB of JavaScript gzipped (${verdict} the ${CONSOLE_JS_BUDGET_KB} kB budget), ` +
          `${report.consoleCssGzipKb} kB of CSS, in ${seen.size} files\n`,
      );
    },
  };
}

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: true,
    // GraphiQL's editor (Monaco) is large by nature; the console's own budget is checked above.
    chunkSizeWarningLimit: 5000,
    rollupOptions: {
      // GraphiQL's dependencies mark React server-component boundaries ("use client"), meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        console: path.join(here, 'index.html'),
        graphiql: path.join(here, 'graphiql', 'index.html'),
      },
    },
  },
  worker: { format: 'es' },
  // `npm run console:dev`: the console with hot reload at http://localhost:5173/console/, against `npm start`.
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: 'http://localhost:4000', ws: true },
      '/console/config.json': 'http://localhost:4000',
    },
  },
  plugins: [consoleSizeReport()],
});
