/**
 * Writes a "New Pipeline" template (pipeline-templates.ts) and its companion files. A bundle of its
 * own, loaded on first use (the trip generator is not activation's business); no vscode import:
 * the CLI-level test writes templates with it.
 */
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeTaxiCsv } from '../../samples/taxi/generate.ts';
import { PIPELINE_NAME, PIPELINE_TEMPLATES } from './pipeline-templates.ts';

export interface WriteTemplateOptions {
  /** The extension's root folder (holding extension/templates/ and the copied samples). */
  extensionRoot: string;
  template: string;
  /** The pipeline's name: its `name:` and the prefix of its module files. */
  name: string;
  /** Where the pipeline file goes; companions go beside it. */
  pipelineFile: string;
  /** Fewer generated rows than the template's (tests). */
  rows?: number;
}

export interface WrittenTemplate {
  /** Files written, the pipeline first. */
  written: string[];
  /** Companion files that were there already and were left as they are (the user's own data or code). */
  kept: string[];
}

const named = (text: string, name: string) => text.replaceAll('${name}', name);

/**
 * Writes the pipeline file (replacing it: the save dialog asked) and each companion that does not
 * exist yet; an existing companion is kept, never overwritten, and reported.
 */
export async function writePipelineTemplate(options: WriteTemplateOptions): Promise<WrittenTemplate> {
  const template = PIPELINE_TEMPLATES.find((t) => t.id === options.template);
  if (!template) throw new Error(`No pipeline template "${options.template}" (${PIPELINE_TEMPLATES.map((t) => t.id).join(', ')})`);
  if (!PIPELINE_NAME.test(options.name)) throw new Error(`"${options.name}" is not a pipeline name: letters, digits, "-" and "_", starting with a letter or digit`);
  const folder = dirname(options.pipelineFile);
  const yaml = readFileSync(join(options.extensionRoot, 'extension', 'templates', `${template.id}.pipeline.yaml`), 'utf8');
  await mkdir(folder, { recursive: true });
  await writeFile(options.pipelineFile, named(yaml, options.name));
  const result: WrittenTemplate = { written: [options.pipelineFile], kept: [] };
  for (const companion of template.companions ?? []) {
    const target = join(folder, named(companion.to, options.name));
    if (existsSync(target)) {
      result.kept.push(target);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    // A companion folder that is a symlink out of the pipeline's folder (data/ -> elsewhere) is not written through.
    const out = relative(realpathSync(folder), realpathSync(dirname(target)));
    if (out === '..' || out.startsWith(`..${sep}`) || out.startsWith(sep)) {
      throw new Error(`${dirname(target)} resolves outside ${folder} (a symlink?): not writing ${named(companion.to, options.name)} there`);
    }
    if (companion.kind === 'copy') writeFileSync(target, readFileSync(join(options.extensionRoot, companion.from)), { flag: 'wx' });
    else await writeTaxiCsv(target, options.rows ?? companion.rows, companion.seed);
    result.written.push(target);
  }
  return result;
}
