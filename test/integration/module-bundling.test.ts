/**
 * A compiled user module carries its npm dependencies: copied out of the workspace (a pushed
 * model's transform graph under /tmp) it still loads, while tfjs and 'tributary' stay the
 * runtime's own instances.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileUserModule } from '../../runtime/src/modules/compile-module.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('compiled user modules', () => {
  let src: string;
  let out: string;
  before(() => {
    // The source must sit in the workspace (its imports resolve from node_modules there).
    mkdirSync(join(root, 'test', '.tmp'), { recursive: true });
    src = mkdtempSync(join(root, 'test', '.tmp', 'module-'));
    out = mkdtempSync(join(tmpdir(), 'outside-'));
  });
  after(() => {
    rmSync(src, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('bundle npm packages in and load from a folder with no node_modules above it', async () => {
    writeFileSync(
      join(src, 'uses-yaml.ts'),
      "import { parse } from 'yaml';\nimport type { PreprocessingFn } from 'tributary';\nexport const parsed = (s: string) => parse(s) as unknown;\nexport const preprocessing_fn: PreprocessingFn = () => ({});\n",
    );
    const compiled = await compileUserModule(join(src, 'uses-yaml.ts'), { outFile: join(out, 'module.mjs') });
    const code = readFileSync(compiled.path, 'utf8');
    assert.doesNotMatch(code, /from ["']yaml["']/, 'yaml is bundled, not imported');
    const m = (await import(pathToFileURL(compiled.path).href)) as { parsed(s: string): unknown };
    assert.deepEqual(m.parsed('a: [1, 2]'), { a: [1, 2] });
  });

  it("keep tfjs external and point 'tributary' at the running runtime", async () => {
    writeFileSync(
      join(src, 'uses-runtime.ts'),
      "import * as tf from '@tensorflow/tfjs';\nimport { oneHot } from 'tributary';\nexport const layer = () => oneHot({ depth: 3 });\nexport const tfVersion = () => tf.version_core;\n",
    );
    const compiled = await compileUserModule(join(src, 'uses-runtime.ts'), { outFile: join(out, 'runtime.mjs') });
    const code = readFileSync(compiled.path, 'utf8');
    // tfjs is require()d (no ES import of the CommonJS package: Node's export lexer would parse its megabytes in every worker).
    assert.match(code, /require\(["']@tensorflow\/tfjs["']\)/);
    assert.doesNotMatch(code, /from ["']@tensorflow\//);
    // Compiled inside the workspace, it loads the runtime's own tfjs (one tfjs, one backend registry).
    const inside = await compileUserModule(join(src, 'uses-runtime.ts'), { outFile: join(src, 'runtime.mjs') });
    const mod = (await import(pathToFileURL(inside.path).href)) as { tfVersion(): string };
    assert.equal(mod.tfVersion(), (await import('@tensorflow/tfjs')).version_core);
    assert.ok(code.includes(pathToFileURL(join(root, 'runtime', 'src', 'index.ts')).href), "'tributary' is the runtime's own entry");
    assert.doesNotMatch(code, /class OneHot/, 'the layer is not copied into the module');
  });
});
