// Precompresses built browser files so the server sends them as they are, never compressing
// per request: for every .js/.wasm/.css/.html/.json/.svg file under the given folders, writes
// FILE.br (brotli quality 11, Node's zlib) and FILE.gz (gzip by Zopfli, 4–8 % smaller than
// gzip -9 and readable by every gzip decoder; the pinned npm @gfx/zopfli in widget/tools, a
// WebAssembly build, so nothing native is compiled). Files whose compressed form is not
// smaller are left without variants.
//
//   node scripts/precompress.mjs dist/chat dist/launcher dist/console
import { readdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants as z } from 'node:zlib';

const require = createRequire(join(import.meta.dirname, '..', 'widget', 'tools', 'package.json'));
const { gzipAsync } = require('@gfx/zopfli');

const KINDS = new Set(['.js', '.mjs', '.wasm', '.css', '.html', '.json', '.svg', '.txt']);

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile() && KINDS.has(extname(e.name))) yield p;
  }
}

let count = 0;
for (const dir of process.argv.slice(2)) {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`precompress: ${dir} is not a folder`);
    process.exit(1);
  }
  for (const f of files(dir)) {
    const raw = readFileSync(f);
    const text = extname(f) !== '.wasm';
    const br = brotliCompressSync(raw, {
      params: {
        [z.BROTLI_PARAM_QUALITY]: z.BROTLI_MAX_QUALITY,
        [z.BROTLI_PARAM_LGWIN]: z.BROTLI_MAX_WINDOW_BITS,
        [z.BROTLI_PARAM_MODE]: text ? z.BROTLI_MODE_TEXT : z.BROTLI_MODE_GENERIC,
        [z.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = Buffer.from(await gzipAsync(raw, { numiterations: 15, blocksplitting: true }));
    for (const [ext, bytes] of [['.br', br], ['.gz', gz]]) {
      if (bytes.length < raw.length) writeFileSync(f + ext, bytes);
      else rmSync(f + ext, { force: true });
    }
    count++;
  }
}
console.log(`precompress: ${count} files (.br quality 11, .gz zopfli)`);
