import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { TextFormatError, schemaFromPbtxt } from '../../formats/tfx-proto.ts';
import { UserError } from '../../core/errors.ts';
import { readJsonFile } from './read-json.ts';

/** Extensions read as protobuf text format (TFX's schema.pbtxt); anything else is JSON. */
export const PBTXT_EXTENSIONS = ['.pbtxt', '.textproto', '.txtpb', '.prototxt'];

/** A schema file, TFX text format or proto3 JSON, as the plain object parseSchema checks. */
export function readSchemaFile(file: string): unknown {
  if (!PBTXT_EXTENSIONS.includes(extname(file).toLowerCase())) return readJsonFile(file, 'schema file');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read schema file ${file}: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`, { file });
  }
  try {
    return schemaFromPbtxt(text);
  } catch (err) {
    if (err instanceof TextFormatError) {
      throw new UserError(`schema file ${file}:${err.message} (protobuf text format of tensorflow_metadata's Schema)`, { file, line: err.line, column: err.column });
    }
    throw new UserError(`schema file ${file}: ${(err as Error).message}`, { file });
  }
}
