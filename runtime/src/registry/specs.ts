import { exampleValidatorSpec } from '../components/example-validator/spec.ts';
import { schemaGenSpec } from '../components/schema-gen/spec.ts';
import { statisticsGenSpec } from '../components/statistics-gen/spec.ts';
import type { ComponentSpec } from '../core/component.ts';

/**
 * The specs of the built-in components whose declaration lives in its own `spec.ts`, read without
 * touching any executor: for processes that must stay small (the VS Code extension host). The
 * objects are the very ones `builtins.ts` registers (a test checks it), so there is still one
 * source. Components that keep their spec in `index.ts` are absent here; the language server,
 * which loads the full registry, answers for them.
 */
export function listSpecs(): ComponentSpec[] {
  return [statisticsGenSpec, schemaGenSpec, exampleValidatorSpec] as ComponentSpec[];
}
