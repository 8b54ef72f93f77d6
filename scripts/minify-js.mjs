// Minifies the wasm-bindgen glue (and its inline snippets) of built bundles in place, with
// terser (pinned in widget/tools): Trunk's own minifier fails on this glue ("Failed to minify
// JS") and would leave it as written. ES module mode: exports and the wasm import object's
// property names are kept, local names are shortened.
//
//   node scripts/minify-js.mjs dist/chat dist/launcher dist/extras
//
// The HTML pages directly in those folders get their classic inline scripts minified too.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(import.meta.dirname, '..', 'widget', 'tools', 'package.json'));
const { minify } = require('terser');

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile() && e.name.endsWith('.js')) yield p;
  }
}

let before = 0, after = 0;
// `--script FILE`: one classic script (the loader), minified in place; its `/*!` notice kept.
if (process.argv[2] === '--script') {
  const f = process.argv[3];
  const src = readFileSync(f, 'utf8');
  const out = await minify(src, { compress: { passes: 2 }, mangle: true, format: { comments: /^!/ } });
  if (!out.code) throw new Error(`minify-js: no output for ${f}`);
  writeFileSync(f, out.code);
  console.log(`minify-js: ${f} ${src.length} -> ${out.code.length} bytes`);
  process.exit(0);
}
/** The classic inline `<script>`s (no attributes) of an HTML page, minified in place (they
 * are allowed by hash, which the server computes from the file as served). */
async function minifyPage(f) {
  const src = readFileSync(f, 'utf8');
  let out = '', at = 0;
  for (const m of src.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    const r = await minify(m[1], { compress: { passes: 2 }, mangle: true, format: { comments: false } });
    if (r.code === undefined) throw new Error(`minify-js: no output for a script of ${f}`);
    out += src.slice(at, m.index) + '<script>' + r.code + '</script>';
    at = m.index + m[0].length;
  }
  out += src.slice(at);
  writeFileSync(f, out);
  before += src.length;
  after += out.length;
}

for (const dir of process.argv.slice(2)) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.html')) await minifyPage(join(dir, e.name));
  }
  for (const f of files(dir)) {
    const src = readFileSync(f, 'utf8');
    const out = await minify(src, { module: true, ecma: 2020, compress: { passes: 2 }, mangle: true, format: { comments: false } });
    if (!out.code) throw new Error(`minify-js: no output for ${f}`);
    writeFileSync(f, out.code);
    before += src.length;
    after += out.code.length;
  }
}
console.log(`minify-js: ${before} -> ${after} bytes`);
