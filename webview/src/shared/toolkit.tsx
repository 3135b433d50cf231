/**
 * React wrappers for the @vscode/webview-ui-toolkit web components that the canvas uses. They
 * render the custom-element tags directly (so they also render under react-dom/server in tests;
 * the elements are registered once in main.tsx by `registerToolkit`), set live values as
 * properties (attributes only seed a FAST element's initial value) and listen to the elements'
 * own `change` events, which React 18 does not wire for custom elements.
 */
import { useEffect, useRef, type ReactNode } from 'react';

type ElementProps = {
  id?: string;
  class?: string;
  title?: string;
  slot?: string;
  children?: ReactNode;
  [attribute: string]: unknown;
};

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'vscode-text-field': ElementProps;
      'vscode-checkbox': ElementProps;
      'vscode-dropdown': ElementProps;
      'vscode-option': ElementProps;
      'vscode-button': ElementProps;
      'vscode-badge': ElementProps;
      'vscode-progress-ring': ElementProps;
      'vscode-divider': ElementProps;
    }
  }
}

/** Presence attributes: React 18 would write `"false"`, which still counts as present. */
function flag(name: string, on: boolean | undefined): Record<string, string> {
  return on ? { [name]: '' } : {};
}

function useEvent<T extends HTMLElement>(ref: React.RefObject<T>, event: string, handler: ((el: T) => void) | undefined): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const listener = () => latest.current?.(el);
    el.addEventListener(event, listener);
    return () => el.removeEventListener(event, listener);
  }, [ref, event]);
}

export interface TextFieldProps {
  id?: string;
  value: string;
  placeholder?: string;
  /** 'text' or 'number' (the toolkit's number field is a text field with type=number). */
  type?: 'text' | 'number';
  disabled?: boolean;
  invalid?: boolean;
  ariaLabel?: string;
  /** Fires when the user commits (Enter or blur), not per keystroke: one edit, one undo step. */
  onCommit?: (value: string) => void;
  children?: ReactNode;
}

export function TextField(p: TextFieldProps) {
  const ref = useRef<HTMLElement & { value: string }>(null);
  useEffect(() => {
    if (ref.current && ref.current.value !== p.value) ref.current.value = p.value;
  }, [p.value]);
  useEvent(ref, 'change', (el) => p.onCommit?.(el.value));
  return (
    <vscode-text-field
      ref={ref}
      id={p.id}
      value={p.value}
      type={p.type ?? 'text'}
      placeholder={p.placeholder}
      aria-label={p.ariaLabel}
      aria-invalid={p.invalid ? 'true' : undefined}
      class={p.invalid ? 'invalid' : undefined}
      {...flag('disabled', p.disabled)}
    >
      {p.children}
    </vscode-text-field>
  );
}

export interface CheckboxProps {
  id?: string;
  checked: boolean;
  disabled?: boolean;
  invalid?: boolean;
  onChange?: (checked: boolean) => void;
  children?: ReactNode;
}

export function Checkbox(p: CheckboxProps) {
  const ref = useRef<HTMLElement & { checked: boolean }>(null);
  useEffect(() => {
    if (ref.current && ref.current.checked !== p.checked) ref.current.checked = p.checked;
  }, [p.checked]);
  useEvent(ref, 'change', (el) => {
    if (el.checked !== p.checked) p.onChange?.(el.checked);
  });
  return (
    <vscode-checkbox ref={ref} id={p.id} class={p.invalid ? 'invalid' : undefined} {...flag('checked', p.checked)} {...flag('disabled', p.disabled)}>
      {p.children}
    </vscode-checkbox>
  );
}

export interface DropdownProps {
  id?: string;
  /** Option labels are the values' JSON (strings shown bare). */
  options: { value: string; label: string }[];
  value: string;
  disabled?: boolean;
  invalid?: boolean;
  ariaLabel?: string;
  onChange?: (value: string) => void;
}

export function Dropdown(p: DropdownProps) {
  const ref = useRef<HTMLElement & { value: string }>(null);
  useEffect(() => {
    if (ref.current && ref.current.value !== p.value) ref.current.value = p.value;
  }, [p.value, p.options]);
  useEvent(ref, 'change', (el) => {
    if (el.value !== p.value) p.onChange?.(el.value);
  });
  return (
    <vscode-dropdown ref={ref} id={p.id} aria-label={p.ariaLabel} class={p.invalid ? 'invalid' : undefined} {...flag('disabled', p.disabled)}>
      {p.options.map((o) => (
        <vscode-option key={o.value} value={o.value} {...flag('selected', o.value === p.value)}>
          {o.label}
        </vscode-option>
      ))}
    </vscode-dropdown>
  );
}

export interface ButtonProps {
  appearance?: 'primary' | 'secondary' | 'icon';
  title?: string;
  disabled?: boolean;
  onClick?: () => void;
  children?: ReactNode;
}

export function Button(p: ButtonProps) {
  const ref = useRef<HTMLElement>(null);
  useEvent(ref, 'click', () => {
    if (!p.disabled) p.onClick?.();
  });
  return (
    <vscode-button ref={ref} appearance={p.appearance ?? 'secondary'} title={p.title} aria-label={p.title} {...flag('disabled', p.disabled)}>
      {p.children}
    </vscode-button>
  );
}

/** A codicon glyph (the font is bundled into dist/webview with the app's CSS). */
export function Codicon({ name, title, spin }: { name: string; title?: string; spin?: boolean }) {
  return <span className={`codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`} title={title} aria-hidden={title ? undefined : true} aria-label={title} />;
}
