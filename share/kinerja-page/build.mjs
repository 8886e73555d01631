// Builds ../jupyter/voila/templates/kinerja/static/k360-page.{js,css} from src/main.js: `npm ci && npm run build`.
// The built files are committed (CI and users need only Python); tests/test_page_script.py checks that they carry
// the hash of the sources they were built from.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const sources = ['src/main.js', 'src/plain-text.js', 'package.json', 'package-lock.json', 'build.mjs'];
const hash = createHash('sha256');
for (const file of sources) { hash.update(readFileSync(file)); }
const stamp = hash.digest('hex').slice(0, 16);

await esbuild.build({
  entryPoints: ['src/main.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019', 'chrome79', 'safari13', 'firefox78'],
  outfile: '../jupyter/voila/templates/kinerja/static/k360-page.js',
  legalComments: 'linked',
  alias: { 'sanitize-html': './src/plain-text.js' },
  loader: { '.svg': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.eot': 'dataurl' },
  banner: { js: `/* kinerja-page sources ${stamp} */`, css: `/* kinerja-page sources ${stamp} */` },
  logLevel: 'warning',
});
