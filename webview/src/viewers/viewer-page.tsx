/** What every viewer shares: its payload type by kind and the page header. */
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';

export type Of<K extends ViewerPayload['kind']> = Extract<ViewerPayload, { kind: K }>;

export function Header({ title, subtitle }: { title: string; subtitle?: string }) {
  return (
    <header>
      <h1>{title}</h1>
      {subtitle ? <div className="muted">{subtitle}</div> : null}
    </header>
  );
}
