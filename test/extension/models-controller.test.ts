import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { pushBundle } from '../../runtime/src/components/pusher/executor.ts';
import { writeIndex } from '../../runtime/src/serving/registry-index.ts';
import type * as ModelsModule from '../../extension/src/serving/models-view.ts';
import type { ModelsNode } from '../../extension/src/serving/models-view.ts';
import { writeLogisticBundle } from '../serving/fixtures.ts';
import { runCli, startServeCli } from '../helpers/run-cli.ts';

/**
 * The Models view's VS Code glue (models-view.ts) outside VS Code: its bundle is loaded with a
 * small stand-in for the `vscode` module (only the calls it makes), over a real registry, a real
 * `tributary serve` (started with the Serve Registry terminal's arguments) and the real
 * `tributary traffic` run the way runner.exec runs it. What VS Code itself draws is the in-editor
 * test's part.
 */
const cli = runCli;

class Emitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T) {
    for (const l of this.listeners) l(e);
  }
  dispose() {
    this.listeners = [];
  }
}

function fakeVscode(workspace: string, terminals: unknown[], inputs: string[], messages: string[]) {
  class TreeItem {
    description?: string;
    tooltip?: { value: string };
    id?: string;
    contextValue?: string;
    iconPath?: { id: string };
    constructor(
      public label: string,
      public collapsibleState = 0,
    ) {}
  }
  return {
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class {
      constructor(public id: string) {}
    },
    MarkdownString: class {
      constructor(public value: string) {}
    },
    EventEmitter: Emitter,
    RelativePattern: class {
      constructor(
        public base: unknown,
        public pattern: string,
      ) {}
    },
    Uri: { file: (fsPath: string) => ({ fsPath }) },
    window: {
      terminals,
      onDidOpenTerminal: new Emitter().event,
      onDidCloseTerminal: new Emitter().event,
      showInputBox: async (o: { value: string; validateInput(v: string): string | undefined }) => {
        messages.push(`prefill ${o.value}`);
        for (;;) {
          const next = inputs.shift();
          if (next === undefined) return undefined;
          const problem = o.validateInput(next);
          if (!problem) return next;
          messages.push(`invalid ${next}: ${problem}`);
        }
      },
      showInformationMessage: async (m: string) => void messages.push(`info ${m}`),
      showWarningMessage: async (m: string) => void messages.push(`warning ${m}`),
      showErrorMessage: async (m: string) => void messages.push(`error ${m}`),
      showQuickPick: async () => undefined,
    },
    workspace: {
      asRelativePath: (u: { fsPath: string }) => relative(workspace, u.fsPath),
      createFileSystemWatcher: () => ({ onDidCreate() {}, onDidChange() {}, onDidDelete() {}, dispose() {} }),
    },
  };
}

/** models-view.ts bundled as the build does (CommonJS, `vscode` external), `vscode` = the stand-in. */
async function loadModelsBundle(dir: string, vscode: unknown): Promise<typeof ModelsModule> {
  const out = join(dir, 'models.cjs');
  await build({ entryPoints: ['extension/src/serving/models-view.ts'], bundle: true, platform: 'node', format: 'cjs', external: ['vscode'], outfile: out, logLevel: 'silent' });
  const resolveFilename = (Module as unknown as { _resolveFilename: (r: string, ...rest: unknown[]) => string })._resolveFilename;
  (Module as unknown as { _resolveFilename: typeof resolveFilename })._resolveFilename = (r, ...rest) => (r === 'vscode' ? 'vscode' : resolveFilename(r, ...rest));
  const req = createRequire(out);
  req.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode } as NodeJS.Module;
  try {
    return req(out) as typeof ModelsModule;
  } finally {
    (Module as unknown as { _resolveFilename: typeof resolveFilename })._resolveFilename = resolveFilename;
  }
}

describe('Models view controller (VS Code glue, with a stand-in vscode module)', function () {
  this.timeout(180_000);
  let dir: string;
  let registry: string;
  let server: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trib-models-ctl-'));
    registry = join(dir, 'registry');
    await writeLogisticBundle(join(dir, 'b1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    pushBundle(join(dir, 'b1'), registry, 'taxi');
    pushBundle(join(dir, 'b1'), registry, 'taxi');
    writeIndex(registry, 'taxi', { labels: { stable: 1, canary: 2 } });
    writeFileSync(join(dir, 'p.pipeline.yaml'), 'name: p\nnodes:\n  pusher:\n    component: Pusher\n    params:\n      registry: registry\n      model_name: taxi\n');
  });
  after(() => {
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the pipeline’s registry, polls the Serve Registry server’s /metrics, sets the split through the CLI', async () => {
    const cliPath = '/ext/dist/runtime/cli.js';
    // A free port for the "Serve Registry" terminal: the server picks one, then we reuse its args shape.
    let port: number;
    ({ child: server, port } = await startServeCli(registry));
    const terminal = { creationOptions: { shellArgs: [cliPath, 'serve', registry, '--port', String(port)] }, exitStatus: undefined };
    const inputs = ['stable=80 beta=20', 'stable=4 canary=1'];
    const messages: string[] = [];
    const vscode = fakeVscode(dir, [terminal], inputs, messages);
    const { ModelsController, POLL_MIN_GAP_MS } = await loadModelsBundle(dir, vscode);
    const execs: string[][] = [];
    const runner = {
      exec: async (args: string[], cwd: string) => (execs.push(args), cli(args).then((r) => (assert.equal(cwd, registry), r))),
      onDidChangeRunning: new Emitter<boolean>().event,
    };
    const index = { list: () => [{ uri: { fsPath: join(dir, 'p.pipeline.yaml') } }], onDidChange: new Emitter<void>().event };
    const view = { visible: true, onDidChangeVisibility: new Emitter<void>().event };
    const changed = new Emitter<ModelsNode | undefined>();
    const controller = new ModelsController({ context: {} as never, runner: runner as never, index: index as never, cliPath }, changed as never, view as never);
    try {
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/v1/models/taxi/versions/${i < 3 ? 1 : 2}:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ x1: 1, x2: 0 }] }) });
        assert.equal(r.status, 200);
      }
      const roots = await controller.getChildren();
      assert.equal(roots.length, 1, 'one registry: the pipeline’s, also the served one');
      const root = roots[0] as Extract<ModelsNode, { kind: 'registry' }>;
      assert.deepEqual(root.registry.sources, ['p.pipeline.yaml', `served at 127.0.0.1:${port}`]);
      const rootItem = controller.getTreeItem(root);
      assert.equal(rootItem.label, 'registry');
      assert.equal(rootItem.description, `serving at 127.0.0.1:${port}`);
      const [modelNode] = await controller.getChildren(root);
      assert.equal(controller.getTreeItem(modelNode).contextValue, 'tributary.model');
      const versions = await controller.getChildren(modelNode);
      const described = versions.map((v) => [controller.getTreeItem(v).label, String(controller.getTreeItem(v).description).replace(/p(50|95) [0-9.]+ m?s/g, 'p$1 X')]);
      assert.deepEqual(described, [
        ['v2', 'canary · default · 2 req · 0 err · p50 X · p95 X'],
        ['v1', 'stable · 3 req · 0 err · p50 X · p95 X'],
      ]);

      // Set Traffic Split on the model node: a bad entry is refused while typing, the good one runs the CLI.
      assert.equal(await controller.setTrafficSplit(modelNode), true);
      assert.deepEqual(execs, [['traffic', registry, 'taxi', 'stable=4', 'canary=1']]);
      assert.equal(messages[0], 'prefill stable=90 canary=10');
      assert.match(messages[1], /^invalid stable=80 beta=20: There is no label "beta"/);
      assert.match(messages[2], /^info taxi: stable=4 \(80\.0%, version 1\), canary=1 \(20\.0%, version 2\)/);
      assert.deepEqual(JSON.parse(readFileSync(join(registry, 'taxi', 'index.json'), 'utf8')).traffic.weights, { stable: 4, canary: 1 });
      const [, again] = await controller.getChildren(await controller.getChildren().then((r) => r[0]).then(async (r) => (await controller.getChildren(r))[0]));
      assert.match(String(controller.getTreeItem(again).description), /^stable · 80 % · 3 req/);

      // The server stopped: the registry says so instead of showing stale numbers.
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
      await new Promise((r) => setTimeout(r, POLL_MIN_GAP_MS + 50));
      const [down] = (await controller.getChildren()) as Extract<ModelsNode, { kind: 'registry' }>[];
      assert.match(String(controller.getTreeItem(down).description), /not answering|starting/);
      assert.equal(down.registry.models[0].versions[0].stats, undefined);
    } finally {
      controller.dispose();
    }
  });

  it('finds a server started outside this window by its record, polls it, and notices it stop', async () => {
    const outside = await startServeCli(registry); // as from a terminal: no Serve Registry terminal in this window
    const vscode = fakeVscode(dir, [], [], []);
    const { ModelsController, POLL_MIN_GAP_MS } = await loadModelsBundle(dir, vscode);
    const runner = { exec: async () => ({ code: 0, stdout: '', stderr: '' }), onDidChangeRunning: new Emitter<boolean>().event };
    const index = { list: () => [{ uri: { fsPath: join(dir, 'p.pipeline.yaml') } }], onDidChange: new Emitter<void>().event };
    const view = { visible: true, onDidChangeVisibility: new Emitter<void>().event };
    const controller = new ModelsController({ context: {} as never, runner: runner as never, index: index as never, cliPath: '/ext/cli.js' }, new Emitter() as never, view as never);
    try {
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`http://127.0.0.1:${outside.port}/v1/models/taxi/versions/1:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ x1: 1, x2: 0 }] }) });
        assert.equal(r.status, 200);
      }
      const [root] = (await controller.getChildren()) as Extract<ModelsNode, { kind: 'registry' }>[];
      assert.deepEqual(root.registry.sources, ['p.pipeline.yaml', `served at 127.0.0.1:${outside.port} (process ${outside.child.pid}, started outside this window)`]);
      assert.equal(controller.getTreeItem(root).description, `serving at 127.0.0.1:${outside.port}`);
      const [modelNode] = await controller.getChildren(root);
      const v1 = (await controller.getChildren(modelNode)).find((v) => controller.getTreeItem(v).label === 'v1')!;
      assert.match(String(controller.getTreeItem(v1).description), /· 4 req · 0 err · p50 /);

      outside.child.kill('SIGTERM');
      await new Promise((r) => outside.child.once('exit', r));
      await new Promise((r) => setTimeout(r, POLL_MIN_GAP_MS + 50));
      const [after] = await controller.getChildren();
      assert.equal(controller.getTreeItem(after).description, 'not served', 'the stopped server removed its record');
    } finally {
      outside.child.kill('SIGKILL');
      controller.dispose();
    }
  });
});
