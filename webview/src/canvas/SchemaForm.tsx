import type { JsonSchema, Problem } from '../../../protocol/messages.ts';
import { Button, Checkbox, Codicon, Dropdown, TextField } from '../shared/toolkit.tsx';
import { displayValue, emptyValue, enumValues, fieldKind, parseFieldText, recordValueSchema, setAtPath } from './schema-fields.ts';

export interface SchemaFormProps {
  /** The component's parameter schema (a JSON schema object with properties). */
  schema: JsonSchema;
  /** The node's params as written in the file (defaults are shown, not written). */
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
            value={isSet ? p.values[name] : schema.default}
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
  // JSON fields show problems inside them too; lists, objects and records show them per item.
  const own = problemsAt(f.problems, f.path, kind === 'json');
  const invalid = own.some((pr) => pr.severity === 'error');
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
      <Control {...f} kind={kind} invalid={invalid} />
      {f.schema.description ? <div className="description">{f.schema.description}</div> : null}
      {own.map((pr, i) => (
        <div key={i} className={`problem ${pr.severity}`} role="alert">
          <Codicon name={pr.severity === 'error' ? 'error' : 'warning'} /> {pr.message}
        </div>
      ))}
    </div>
  );
}

function Control(f: FieldProps & { kind: ReturnType<typeof fieldKind>; invalid: boolean }) {
  switch (f.kind) {
    case 'enum': {
      const values = enumValues(f.schema)!;
      const current = displayValue(f.value);
      const options = values.map((v) => ({ value: displayValue(v), label: displayValue(v) }));
      // A value outside the enum is still shown (and marked by the validator), never silently replaced.
      if (f.value !== undefined && !options.some((o) => o.value === current)) options.unshift({ value: current, label: `${current} (invalid)` });
      if (f.value === undefined) options.unshift({ value: '', label: '' });
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
        <Checkbox id={f.id} checked={f.value === true} disabled={f.disabled} invalid={f.invalid} onChange={(checked) => f.onChange(checked)}>
          {f.schema.title ?? ''}
        </Checkbox>
      );
    case 'number':
    case 'string':
    case 'json':
      return (
        <TextField
          id={f.id}
          ariaLabel={f.label}
          type={f.kind === 'number' ? 'number' : 'text'}
          value={displayValue(f.value)}
          placeholder={f.kind === 'json' ? 'JSON' : undefined}
          disabled={f.disabled}
          invalid={f.invalid}
          onCommit={(text) => (text === '' && f.onReset ? f.onReset() : f.onChange(parseFieldText(f.schema, text)))}
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
  const items = Array.isArray(f.value) ? f.value : [];
  const itemSchema = f.schema.items ?? {};
  return (
    <div className="list" role="list" aria-label={f.label}>
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
        <Button appearance="secondary" title={`Add an item to ${f.label}`} onClick={() => f.onChange([...items, emptyValue(itemSchema)])}>
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
          value={Object.hasOwn(value, name) ? value[name] : schema.default}
          isSet={Object.hasOwn(value, name)}
          required={required.has(name) && schema.default === undefined}
          problems={f.problems}
          disabled={f.disabled}
          onChange={(next) => f.onChange(setAtPath(value, [name], next))}
        />
      ))}
    </fieldset>
  );
}

function RecordControl(f: FieldProps) {
  const value = f.value !== null && typeof f.value === 'object' ? (f.value as Record<string, unknown>) : {};
  const valueSchema = recordValueSchema(f.schema) ?? {};
  const entries = Object.entries(value);
  const rename = (from: string, to: string) => {
    if (!to || to === from || Object.hasOwn(value, to)) return;
    f.onChange(Object.fromEntries(entries.map(([k, v]) => [k === from ? to : k, v])));
  };
  return (
    <div className="record" role="list" aria-label={f.label}>
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
            for (let n = 2; Object.hasOwn(value, key); n++) key = `key_${n}`;
            f.onChange({ ...value, [key]: emptyValue(valueSchema) });
          }}
        >
          <Codicon name="add" /> Add
        </Button>
      )}
    </div>
  );
}
