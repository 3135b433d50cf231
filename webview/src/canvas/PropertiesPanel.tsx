import type { CanvasNode, ComponentInfo, Problem } from '../../../protocol/messages.ts';
import { Button, Codicon, TextField } from '../shared/toolkit.tsx';
import { componentIcon } from './icons.ts';
import { SchemaForm } from './SchemaForm.tsx';

export interface PropertiesPanelProps {
  node: CanvasNode | undefined;
  spec: ComponentInfo | undefined;
  problems: readonly Problem[];
  disabled?: boolean;
  onRename(to: string): void;
  onSetParam(name: string, value: unknown): void;
  onRemoveParam(name: string): void;
  onDisconnect(input: string): void;
  onShowText(line?: number): void;
}

/** The selected node: id, component, wiring and the parameter form generated from its schema. */
export function PropertiesPanel(p: PropertiesPanelProps) {
  if (!p.node) {
    return (
      <aside className="properties nokey" aria-label="Properties">
        <p className="muted">Select a node to edit its parameters.</p>
      </aside>
    );
  }
  const { node, spec } = p;
  // Problems the form shows at a parameter field; the rest are listed at the top.
  const general = p.problems.filter((pr) => !pr.field?.startsWith('params.') || !spec);
  const inputs = Object.keys({ ...(spec?.inputs ?? {}), ...node.inputs });
  return (
    <aside className="properties nokey" aria-label={`Properties of ${node.id}`}>
      <header>
        <Codicon name={componentIcon(spec)} />
        <h2>{node.component}</h2>
        <Button appearance="icon" title="Show in text editor" onClick={() => p.onShowText()}>
          <Codicon name="go-to-file" />
        </Button>
      </header>
      {spec ? <p className="description">{spec.description}</p> : <p className="problem warning">This component is not in the registry: its parameters cannot be shown.</p>}
      <div className="field">
        <div className="field-header">
          <label htmlFor="node-id">id</label>
        </div>
        <TextField id="node-id" ariaLabel="Node id" value={node.id} disabled={p.disabled} onCommit={(to) => to.trim() && to.trim() !== node.id && p.onRename(to.trim())} />
      </div>
      {general.length > 0 ? (
        <ul className="problems">
          {general.map((pr, i) => (
            <li key={i} className={`problem ${pr.severity}`}>
              <button type="button" className="link" onClick={() => p.onShowText(pr.line)} title="Show in text editor">
                <Codicon name={pr.severity === 'error' ? 'error' : 'warning'} /> {pr.message}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {inputs.length > 0 ? (
        <section>
          <h3>Inputs</h3>
          <ul className="inputs">
            {inputs.map((name) => {
              const ref = node.inputs[name];
              const port = spec?.inputs[name];
              return (
                <li key={name}>
                  <span className="input-name">{name}</span> <span className="muted">{port?.type ?? ''}{port?.optional ? ' (optional)' : ''}</span>{' '}
                  {ref ? (
                    <>
                      ← <code>{`${ref.node}.${ref.output}`}</code>
                      {p.disabled ? null : (
                        <button type="button" className="link" title={`Disconnect ${name}`} onClick={() => p.onDisconnect(name)}>
                          <Codicon name="debug-disconnect" />
                        </button>
                      )}
                    </>
                  ) : (
                    <span className="muted">not connected</span>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
      {spec ? (
        <section>
          <h3>Parameters</h3>
          <SchemaForm
            idPrefix={`param-${node.id}`}
            schema={spec.params}
            values={node.params}
            problems={p.problems}
            disabled={p.disabled}
            onSet={p.onSetParam}
            onReset={p.onRemoveParam}
          />
        </section>
      ) : null}
    </aside>
  );
}
