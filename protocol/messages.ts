/**
 * THE message contract between the extension host and its webviews. Both sides import these
 * schemas and types; the host validates every message a webview sends (extension/src/canvas/
 * messages.ts, Ajv) before acting on it, because a webview is untrusted content. Messages the host
 * sends are typed here too so the webview can trust their shape at compile time.
 *
 * Webview code must import this file with `import type` where it can: the TypeBox builders are only
 * needed by the host's validator.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ViewerPayload } from './viewer-payload.ts';

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** Node ids as the pipeline format allows them (no dots: references use them). */
export const NodeId = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_-]*$', maxLength: 128 });
/** Parameter, input and output names. */
export const PortName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128 });
/** Component types: registered names such as CsvExampleGen or a custom component's key. */
export const ComponentType = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$', maxLength: 128 });

/** Canvas coordinates; bounded so a hostile or buggy webview cannot write absurd numbers. */
const Coordinate = Type.Number({ minimum: -1e7, maximum: 1e7 });
export const Position = Type.Object({ x: Coordinate, y: Coordinate }, { additionalProperties: false });
export type Position = Static<typeof Position>;

export const OutputRef = Type.Object({ node: NodeId, output: PortName }, { additionalProperties: false });
export type OutputRef = Static<typeof OutputRef>;

export const ComponentCategory = Type.Union([Type.Literal('data'), Type.Literal('model'), Type.Literal('deployment'), Type.Literal('custom')]);
export type ComponentCategory = Static<typeof ComponentCategory>;

export interface PortInfo {
  type: string;
  description: string;
  optional?: boolean;
}

/** A component as the palette, the nodes and the properties panel need it (params = JSON schema). */
export interface ComponentInfo {
  type: string;
  category: ComponentCategory;
  /** Codicon name from the spec; absent: the category's. */
  icon?: string;
  description: string;
  inputs: Record<string, PortInfo>;
  outputs: Record<string, PortInfo>;
  params: JsonSchema;
}

/** The subset of JSON schema the properties form reads (TypeBox emits exactly these keywords). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  'x-path'?: 'file' | 'glob' | 'dir';
  'x-module'?: boolean;
  [keyword: string]: unknown;
}

export interface CanvasNode {
  id: string;
  component: string;
  params: Record<string, unknown>;
  inputs: Record<string, OutputRef>;
  /** From the file's `layout` section; absent until placed. */
  position?: Position;
}

/** A diagnostic, attributed to a node and field where its range lies inside one. */
export interface Problem {
  severity: 'error' | 'warning' | 'info';
  message: string;
  code?: string;
  nodeId?: string;
  /** `component`, `params.<name>[.<sub>...]`, `inputs.<name>`, `layout`, ... */
  field?: string;
  /** 0-based line, for "show in text". */
  line: number;
  /** The close match a "Did you mean" diagnostic suggests: its quick fix writes it. */
  fix?: string;
}

/** What the canvas draws: derived from the text document every time it changes. */
export interface CanvasModel {
  name: string;
  nodes: CanvasNode[];
  problems: Problem[];
  /** False while the YAML does not parse: the canvas keeps drawing and refuses edits. */
  editable: boolean;
}

export const RUN_STATES = ['queued', 'running', 'cached', 'succeeded', 'failed', 'canceled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export interface NodeRunInfo {
  state: RunState;
  /** While running: units done (of total when known). */
  progress?: { done: number; total?: number; unit: string; perSecond?: number; etaMs?: number; metrics?: Record<string, number> };
  /** Each metric's values so far (the Trainer's loss per epoch), for the sparkline. */
  series?: Record<string, number[]>;
  /** Wall time so far (running) or in total (finished). */
  durationMs?: number;
  message?: string;
}

/** An artifact a node read or wrote, a click from its viewer. */
export interface ArtifactLink {
  id: number;
  type: string;
  /** The input or output name it was recorded under. */
  key: string;
  uri: string;
  state: string;
}

/** The inspector's view of a node: its last execution, its artifacts, its log (KFP's side panel). */
export interface NodeInspection {
  nodeId: string;
  runId?: string;
  execution?: {
    id: number;
    state: string;
    startedAt: string;
    durationMs?: number;
    cached: boolean;
    cachedFrom?: number;
    error?: string;
    logFile: string;
  };
  inputs: ArtifactLink[];
  outputs: ArtifactLink[];
  /** The end of the node's log (refreshed while it runs). */
  logTail?: string;
}

/** What the inspector and the node's context menu can ask the host to do. */
export const NODE_ACTIONS = ['runNode', 'runFrom', 'openLog', 'openOutputs', 'showLineage'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

// ---------------------------------------------------------------------------------------------
// Host → canvas

export type HostToCanvas =
  | { type: 'init'; model: CanvasModel; specs: ComponentInfo[]; readOnly: boolean; readOnlyReason?: string }
  | { type: 'document'; model: CanvasModel }
  | { type: 'specs'; specs: ComponentInfo[] }
  /** Replaces the run overlay; `runId: null` clears it. */
  | { type: 'runState'; runId: string | null; nodes: Record<string, NodeRunInfo> }
  /** An intent the host refused (stale id, incompatible connection, read-only): shown to the user. */
  | { type: 'refused'; intent: string; reason: string; nodeId?: string; field?: string }
  /** The answer to `inspect` (also sent again while the node runs). */
  | { type: 'inspection'; inspection: NodeInspection };

// ---------------------------------------------------------------------------------------------
// Canvas → host: edit intents and requests. Each schema is checked by the host before use.

const strict = { additionalProperties: false } as const;
const ParamValue = Type.Unknown({ description: 'A JSON value; the validator reports schema problems as diagnostics.' });

export const CanvasToHostSchemas = {
  ready: Type.Object({ type: Type.Literal('ready') }, strict),
  addNode: Type.Object({ type: Type.Literal('addNode'), component: ComponentType, position: Position, id: Type.Optional(NodeId) }, strict),
  removeNodes: Type.Object({ type: Type.Literal('removeNodes'), ids: Type.Array(NodeId, { minItems: 1, maxItems: 1000, uniqueItems: true }) }, strict),
  connect: Type.Object({ type: Type.Literal('connect'), node: NodeId, input: PortName, source: OutputRef }, strict),
  disconnect: Type.Object({ type: Type.Literal('disconnect'), node: NodeId, input: PortName }, strict),
  setParam: Type.Object({ type: Type.Literal('setParam'), node: NodeId, name: PortName, value: ParamValue }, strict),
  removeParam: Type.Object({ type: Type.Literal('removeParam'), node: NodeId, name: PortName }, strict),
  renameNode: Type.Object({ type: Type.Literal('renameNode'), from: NodeId, to: NodeId }, strict),
  moveNodes: Type.Object(
    { type: Type.Literal('moveNodes'), positions: Type.Record(NodeId, Position, { minProperties: 1, maxProperties: 5000, additionalProperties: false }) },
    strict,
  ),
  pasteNodes: Type.Object(
    {
      type: Type.Literal('pasteNodes'),
      nodes: Type.Array(
        Type.Object(
          {
            id: NodeId,
            component: ComponentType,
            params: Type.Record(PortName, ParamValue, { additionalProperties: false }),
            inputs: Type.Record(PortName, OutputRef, { additionalProperties: false }),
            position: Position,
          },
          strict,
        ),
        { minItems: 1, maxItems: 500 },
      ),
    },
    strict,
  ),
  /** Applies the quick fix of the diagnostic on `line` that suggests `fix` (the text's CodeAction). */
  applyFix: Type.Object({ type: Type.Literal('applyFix'), line: Type.Integer({ minimum: 0 }), fix: Type.String({ minLength: 1, maxLength: 200 }) }, strict),
  /** Asks for a node's inspection (its last execution, artifacts and log). */
  inspect: Type.Object({ type: Type.Literal('inspect'), node: NodeId }, strict),
  /** Runs a node's action (inspector buttons, the node's context menu). */
  nodeAction: Type.Object({ type: Type.Literal('nodeAction'), node: NodeId, action: Type.Union(NODE_ACTIONS.map((a) => Type.Literal(a))) }, strict),
  /** Opens the viewer of an artifact the last inspection listed. */
  openArtifact: Type.Object({ type: Type.Literal('openArtifact'), artifactId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, strict),
  /** Opens the text editor beside the canvas at a node (or a line). */
  showText: Type.Object({ type: Type.Literal('showText'), node: Type.Optional(NodeId), line: Type.Optional(Type.Integer({ minimum: 0 })) }, strict),
} satisfies Record<string, TSchema>;

type Schemas = typeof CanvasToHostSchemas;
export type CanvasToHost = { [K in keyof Schemas]: Static<Schemas[K]> }[keyof Schemas];
export type CanvasIntent = Exclude<CanvasToHost, { type: 'ready' | 'showText' | 'inspect' | 'nodeAction' | 'openArtifact' | 'applyFix' }>;
export type CanvasMessageType = keyof Schemas;
export type PastedNode = Static<Schemas['pasteNodes']>['nodes'][number];

// ---------------------------------------------------------------------------------------------
// Artifact viewers (EXT-C): host → viewer sends the parsed artifact; viewer → host asks for more.

/** `pinned`: whether the page's tab keeps what it shows (else the next artifact of its kind opens in it). */
export type HostToViewer = { type: 'show'; payload: ViewerPayload } | { type: 'pinned'; pinned: boolean };

const ArtifactId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const ViewerToHostSchemas = {
  ready: Type.Object({ type: Type.Literal('ready') }, strict),
  /** Opens another artifact's viewer (a lineage node was clicked). */
  openArtifact: Type.Object({ type: Type.Literal('openArtifact'), artifactId: ArtifactId }, strict),
  /** Approve or reject a waiting ManualApproval node (the viewer's approval bar). */
  decide: Type.Object(
    {
      type: Type.Literal('decide'),
      runId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }),
      nodeId: NodeId,
      reject: Type.Boolean(),
    },
    strict,
  ),
  /** Pin the tab (it keeps this artifact; the next one of its kind opens in a new tab) or unpin it. */
  pin: Type.Object({ type: Type.Literal('pin'), pinned: Type.Boolean() }, strict),
} satisfies Record<string, TSchema>;

type ViewerSchemas = typeof ViewerToHostSchemas;
export type ViewerToHost = { [K in keyof ViewerSchemas]: Static<ViewerSchemas[K]> }[keyof ViewerSchemas];
