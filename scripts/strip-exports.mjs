// Removes exports nothing of ours can call from the chat bundle (scripts/build-widget.sh runs
// it on dist/chat after Trunk, before minify-js): Leptos always enables server_fn's `browser`
// feature, which brings wasm-streams and its three `#[wasm_bindgen]` classes
// (IntoUnderlyingSource, IntoUnderlyingByteSource, IntoUnderlyingSink: JS stream sources for
// streaming server functions). The chat page has no server functions, so the classes and the
// wasm code only they reach (their exports, wasm-streams, the future-to-promise machinery)
// are dead; they cost ~1 KB brotli on the way to "interactive".
//
// The wasm exports are removed and unreachable code dropped with binaryen (the same version
// 132 as the build's wasm-opt, from widget/tools); the JS classes and their finalization
// registries are removed from the wasm-bindgen glue. Anything unexpected (a class not found,
// a use left over) fails the build rather than shipping a half-stripped bundle.
//
//   node scripts/strip-exports.mjs dist/chat
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { default: binaryen } = await import(join(import.meta.dirname, '..', 'widget', 'tools', 'node_modules', 'binaryen', 'index.js'));
const CLASSES = ['IntoUnderlyingByteSource', 'IntoUnderlyingSink', 'IntoUnderlyingSource'];
const dir = process.argv[2];
const die = (m) => { console.error(`strip-exports: ${m}`); process.exit(1); };
const files = readdirSync(dir);
const wasmFile = files.find((f) => /_bg\.wasm$/.test(f)) ?? die(`no wasm in ${dir}`);
const jsFile = files.find((f) => f.endsWith('.js') && wasmFile.startsWith(f.slice(0, -3))) ?? die(`no glue for ${wasmFile}`);

// The glue: each class (with its Symbol.dispose line) and its finalization registry.
let js = readFileSync(join(dir, jsFile), 'utf8');
for (const c of CLASSES) {
  const cls = new RegExp(`export class ${c} \\{[\\s\\S]*?\\n\\}\\nif \\(Symbol\\.dispose\\) ${c}\\.prototype\\[Symbol\\.dispose\\] = ${c}\\.prototype\\.free;\\n`);
  const reg = new RegExp(`const ${c}Finalization = \\(typeof FinalizationRegistry === 'undefined'\\)\\n[^\\n]*\\n[^\\n]*\\n`);
  if (!cls.test(js) || !reg.test(js)) die(`${c} not found in ${jsFile} as expected (wasm-bindgen changed?)`);
  js = js.replace(cls, '').replace(reg, '');
}
if (/intounderlying/i.test(js)) die(`a use of the stripped classes is left in ${jsFile}`);

// The wasm: their exports, then every function only they reached.
const before = readFileSync(join(dir, wasmFile));
// Rust's default wasm32 features (what the bundle uses); anything newer would be written in
// encodings the browsers may not take (e.g. compact imports).
const F = binaryen.Features;
const mod = binaryen.readBinary(before);
mod.setFeatures(F.MutableGlobals | F.NontrappingFPToInt | F.BulkMemory | F.BulkMemoryOpt | F.SignExt
  | F.ReferenceTypes | F.Multivalue | F.CallIndirectOverlong);
const names = [];
for (let i = 0; i < mod.getNumExports(); i++) names.push(binaryen.getExportInfo(mod.getExportByIndex(i)).name);
const dead = names.filter((n) => /intounderlying/.test(n));
if (dead.length === 0) die(`no such exports in ${wasmFile}`);
for (const n of dead) mod.removeExport(n);
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
mod.runPasses(['remove-unused-module-elements']);
if (!mod.validate()) die(`${wasmFile} does not validate after stripping`);
const after = mod.emitBinary();
mod.dispose();
writeFileSync(join(dir, wasmFile), after);
writeFileSync(join(dir, jsFile), js);
console.log(`strip-exports: ${wasmFile} ${before.length} -> ${after.length} bytes (${dead.length} exports), ${jsFile} without ${CLASSES.join(', ')}`);
