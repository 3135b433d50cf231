import type { ComponentCategory, ComponentInfo } from '../../../protocol/messages.ts';
import { Codicon } from '../shared/toolkit.tsx';
import { componentIcon } from './icons.ts';

export const COMPONENT_MIME = 'application/x-tributary-component';
const CATEGORIES: { id: ComponentCategory; label: string }[] = [
  { id: 'data', label: 'Data' },
  { id: 'model', label: 'Model' },
  { id: 'deployment', label: 'Deployment' },
  { id: 'custom', label: 'Custom' },
];

/** Components by category, from the registry specs; drag one onto the canvas (or press Enter) to add it. */
export function Palette({ specs, disabled, onAdd }: { specs: readonly ComponentInfo[]; disabled?: boolean; onAdd(type: string): void }) {
  return (
    <nav className="palette nokey" aria-label="Components">
      {CATEGORIES.map(({ id, label }) => {
        const items = specs.filter((s) => s.category === id);
        return (
          <section key={id} className="palette-group" data-category={id}>
            <h3>{label}</h3>
            {items.length === 0 ? <div className="muted">None yet</div> : null}
            {items.map((spec) => (
              <div
                key={spec.type}
                className={`palette-item${disabled ? ' disabled' : ''}`}
                role="button"
                tabIndex={disabled ? -1 : 0}
                aria-disabled={disabled}
                draggable={!disabled}
                title={spec.description}
                data-component={spec.type}
                onDragStart={(e) => {
                  e.dataTransfer.setData(COMPONENT_MIME, spec.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onKeyDown={(e) => {
                  if (!disabled && (e.key === 'Enter' || e.key === ' ')) {
                    e.preventDefault();
                    onAdd(spec.type);
                  }
                }}
                onDoubleClick={() => !disabled && onAdd(spec.type)}
              >
                <Codicon name={componentIcon(spec)} />
                <span>{spec.type}</span>
              </div>
            ))}
          </section>
        );
      })}
    </nav>
  );
}
