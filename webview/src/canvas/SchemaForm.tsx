import { useEffect, useState } from 'react';
import type { JsonSchema, Problem } from '../../../protocol/messages.ts';
import { Button, Checkbox, Codicon, Dropdown, TextField } from '../shared/toolkit.tsx';
import { displayValue, emptyValue, enumValues, fieldKind, parseFieldText, readFieldText, recordValueSchema, setAtPath } from './schema-fields.ts';

export interface SchemaFormProps {
  /** The component's parameter schema (a JSON schema object with properties). */
  schema: JsonSchema;
  /** The node's params as written in the file (defaults are placeholders, never values). */
  values: Record<string, unknown>;
  /** This node's problems; those with `field: params.<path>` are shown at that field. */
  problems: readonly Problem[];
  disabled?: boolean;
  /** Idempotent id prefix so labels point at their controls when several forms exist. */
  idPrefix: string;
  onSet(name: string, value: unknown): void;
  onReset(name: string): void;
}

/** The properties form, generated field by field from the parameter schema. */
export function SchemaForm(p: SchemaFormProps) {
  const properties = Object.entries(p.schema.properties ?? {});
  if (properties.length === 0) return <p className="muted">This component has no parameters.</p>;
  const required = new Set(p.schema.required ?? []);
  return (
    <div className="schema-form">
      {properties.map(([name, schema]) => {
        const isSet = Object.hasOwn(p.values, name);
        return (
          <Field
            key={name}
            id={`${p.idPrefix}-${name}`}
            label={name}
            path={[name]}
            schema={schema}
            value={isSet ? p.values[name] : undefined}
            isSet={isSet}
            required={required.has(name) && schema.default === undefined}
            problems={p.problems}
            disabled={p.disabled}
            onChange={(value) => p.onSet(name, value)}
            onReset={isSet ? () => p.onReset(name) : undefined}
          />
        );
      })}
    </div>
  );
}

interface FieldProps {
  id: string;
  label: string;
  path: (string | number)[];
  schema: JsonSchema;
  value: unknown;
  isSet: boolean;
  required?: boolean;
  problems: readonly Problem[];
  disabled?: boolean;
  onChange(value: unknown): void;
  onReset?: () => void;
}

function problemsAt(problems: readonly Problem[], path: readonly (string | number)[], deep: boolean): Problem[] {
  const field = `params.${path.join('.')}`;
  return problems.filter((pr) => pr.field === field || (deep && pr.field?.startsWith(`${field}.`)));
}

function Field(f: FieldProps) {
  const kind = fieldKind(f.schema);
  // Text the user typed that was not (yet) accepted: it stays in the field, marked, until the
  // file's value changes or the user types something valid. Never written while invalid.
  const [draft, setDraft] = useState<{ text: string; error?: string }>();
  const shown = displayValue(f.value);
  useEffect(() => setDraft(undefined), [shown]);
  // JSON fields show problems inside them too; lists, objects and records show them per item.
  const fromFile = problemsAt(f.problems, f.path, kind === 'json' || kind === 'scalar');
  const own: Problem[] = draft?.error ? [{ severity: 'error', message: draft.error, line: -1 }, ...fromFile] : fromFile;
  const invalid = own.some((pr) => pr.severity === 'error');
  const commitText = (text: string) => {
    if (text.trim() === '') {
      if (f.onReset) return (setDraft(undefined), f.onReset());
      if (!f.isSet) return setDraft(undefined);
      if (f.required) return setDraft({ text, error: `${f.label} is required` });
    }
    const read = readFieldText(f.schema, text);
    if (!read.ok) return setDraft({ text, error: read.error });
    setDraft({ text });
    f.onChange(read.value);
  };
  const header = (
    <div className="field-header">
      <label htmlFor={f.id} className={f.isSet ? 'set' : undefined}>
        {f.label}
        {f.required ? <span className="required" title="required">*</span> : null}
      </label>
      {f.schema['x-path'] ? <Codicon name={f.schema['x-path'] === 'dir' ? 'folder' : 'file'} title={`path (${f.schema['x-path']}), relative to the pipeline file`} /> : null}
      {f.onReset && !f.disabled ? (
        <button type="button" className="link reset" title="Reset to default (removes it from the file)" onClick={f.onReset}>
          <Codicon name="discard" />
        </button>
      ) : null}
    </div>
  );
  return (
    <div className={`field field-${kind}${invalid ? ' has-error' : ''}`} data-field={f.path.join('.')}>
      {header}
      <Control {...f} kind={kind} invalid={invalid} text={draft?.text ?? shown} onCommitText={commitText} />
      {f.schema.description ? <div className="description">{f.schema.description}</div> : null}
      {own.map((pr, i) => (
        <div key={i} className={`problem ${pr.severity}`} role="alert">
          <Codicon name={pr.severity === 'error' ? 'error' : 'warning'} /> {pr.message}
        </div>
      ))}
    </div>
  );
}

/** How a default shows in an empty field: as a hint, never as a value that is set. */
function defaultHint(schema: JsonSchema): string | undefined {
  return schema.default === undefined ? undefined : displayValue(schema.default) || (typeof schema.default === 'string' ? '(empty)' : undefined);
}

function Control(f: FieldProps & { kind: ReturnType<typeof fieldKind>; invalid: boolean; text: string; onCommitText(text: string): void }) {
  switch (f.kind) {
    case 'enum': {
      const values = enumValues(f.schema)!;
      const current = displayValue(f.value);
      const options = values.map((v) => ({ value: displayValue(v), label: displayValue(v) }));
      // A value outside the enum is still shown (and marked by the validator), never silently replaced.
      if (f.value !== undefined && !options.some((o) => o.value === current)) options.unshift({ value: current, label: `${current} (invalid)` });
      const hint = defaultHint(f.schema);
      if (f.value === undefined) options.unshift({ value: '', label: hint ? `default (${hint})` : '' });
      return (
        <Dropdown
          id={f.id}
          ariaLabel={f.label}
          options={options}
          value={current}
          disabled={f.disabled}
          invalid={f.invalid}
          onChange={(text) => f.onChange(parseFieldText(f.schema, text))}
        />
      );
    }
    case 'boolean':
      return (
        <Checkbox id={f.id} checked={(f.value ?? f.schema.default) === true} disabled={f.disabled} invalid={f.invalid} onChange={(checked) => f.onChange(checked)}>
          {f.schema.title ?? ''}
          {f.value === undefined && f.schema.default !== undefined ? <span className="muted"> (default)</span> : null}
        </Checkbox>
      );
    case 'number':
    case 'string':
    case 'scalar':
    case 'json':
      // Numbers are typed as text: a browser number input turns "abc" into "" (which read as
      // "remove the value"), so the text is read here and kept, marked, when it is not a number.
      return (
        <TextField
          id={f.id}
          ariaLabel={f.label}
          value={f.text}
          placeholder={defaultHint(f.schema) ?? (f.kind === 'json' ? 'JSON' : undefined)}
          disabled={f.disabled}
          invalid={f.invalid}
          onCommit={f.onCommitText}
        />
      );
    case 'list':
      return <ListControl {...f} />;
    case 'object':
      return <ObjectControl {...f} />;
    case 'record':
      return <RecordControl {...f} />;
  }
}

function ListControl(f: FieldProps) {
  // Not set: the default's items are where editing starts (shown as the hint above the rows).
  const items = Array.isArray(f.value) ? f.value : [];
  const start = f.value === undefined && Array.isArray(f.schema.default) ? (f.schema.default as unknown[]) : items;
  const itemSchema = f.schema.items ?? {};
  const hint = f.value === undefined ? defaultHint(f.schema) : undefined;
  return (
    <div className="list" role="list" aria-label={f.label}>
      {hint ? <div className="muted default-hint">default: {hint}</div> : null}
      {items.map((item, i) => (
        <div className="list-row" role="listitem" key={i}>
          <Field
            id={`${f.id}-${i}`}
            label={`${i + 1}.`}
            path={[...f.path, i]}
            schema={itemSchema}
            value={item}
            isSet={f.isSet}
            problems={f.problems}
            disabled={f.disabled}
            onChange={(value) => f.onChange(setAtPath(items, [i], value))}
          />
          {f.disabled ? null : (
            <button type="button" className="link" title={`Remove item ${i + 1}`} onClick={() => f.onChange(items.filter((_, j) => j !== i))}>
              <Codicon name="remove" />
            </button>
          )}
        </div>
      ))}
      {f.disabled ? null : (
        <Button appearance="secondary" title={`Add an item to ${f.label}`} onClick={() => f.onChange([...start, emptyValue(itemSchema)])}>
          <Codicon name="add" /> Add
        </Button>
      )}
    </div>
  );
}

function ObjectControl(f: FieldProps) {
  const value = f.value !== null && typeof f.value === 'object' ? (f.value as Record<string, unknown>) : {};
  const required = new Set(f.schema.required ?? []);
  return (
    <fieldset className="object">
      <legend className="sr-only">{f.label}</legend>
      {Object.entries(f.schema.properties ?? {}).map(([name, schema]) => (
        <Field
          key={name}
          id={`${f.id}-${name}`}
          label={name}
          path={[...f.path, name]}
          schema={schema}
          value={Object.hasOwn(value, name) ? value[name] : undefined}
          isSet={Object.hasOwn(value, name)}
          required={required.has(name) && schema.default === undefined}
          problems={f.problems}
          disabled={f.disabled}
          onChange={(next) => f.onChange(setAtPath(value, [name], next))}
          onReset={Object.hasOwn(value, name) && !required.has(name) ? () => f.onChange(Object.fromEntries(Object.entries(value).filter(([k]) => k !== name))) : undefined}
        />
      ))}
    </fieldset>
  );
}

function RecordControl(f: FieldProps) {
  const value = f.value !== null && typeof f.value === 'object' ? (f.value as Record<string, unknown>) : {};
  // Not set: the default's entries are where editing starts (shown as the hint above the rows).
  const start = f.value === undefined && f.schema.default !== null && typeof f.schema.default === 'object' ? (f.schema.default as Record<string, unknown>) : value;
  const hint = f.value === undefined ? defaultHint(f.schema) : undefined;
  const valueSchema = recordValueSchema(f.schema) ?? {};
  const entries = Object.entries(value);
  const rename = (from: string, to: string) => {
    if (!to || to === from || Object.hasOwn(value, to)) return;
    f.onChange(Object.fromEntries(entries.map(([k, v]) => [k === from ? to : k, v])));
  };
  return (
    <div className="record" role="list" aria-label={f.label}>
      {hint ? <div className="muted default-hint">default: {hint}</div> : null}
      {entries.map(([key, item]) => (
        <div className="record-row" role="listitem" key={key}>
          <TextField ariaLabel={`${f.label} key`} value={key} disabled={f.disabled} onCommit={(text) => rename(key, text.trim())} />
          <Field
            id={`${f.id}-${key}`}
            label={key}
            path={[...f.path, key]}
            schema={valueSchema}
            value={item}
            isSet={f.isSet}
            problems={f.problems}
            disabled={f.disabled}
            onChange={(next) => f.onChange(setAtPath(value, [key], next))}
          />
          {f.disabled ? null : (
            <button
              type="button"
              className="link"
              title={`Remove ${key}`}
              onClick={() => f.onChange(Object.fromEntries(entries.filter(([k]) => k !== key)))}
            >
              <Codicon name="remove" />
            </button>
          )}
        </div>
      ))}
      {f.disabled ? null : (
        <Button
          appearance="secondary"
          title={`Add an entry to ${f.label}`}
          onClick={() => {
            let key = 'key';
            for (let n = 2; Object.hasOwn(start, key); n++) key = `key_${n}`;
            f.onChange({ ...start, [key]: emptyValue(valueSchema) });
          }}
        >
          <Codicon name="add" /> Add
        </Button>
      )}
    </div>
  );
}
