/** 0-based line and column of the `occurrence`-th match of `needle` (plus `shift` characters), found by plain text search. */
export function positionOf(text: string, needle: string, shift = 0, occurrence = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" not found ${occurrence} time(s)`);
  }
  index += shift;
  const before = text.slice(0, index).split('\n');
  return { line: before.length - 1, column: before[before.length - 1].length };
}

/** The range a needle occupies in the text. */
export function rangeOf(text: string, needle: string, occurrence = 1) {
  const start = positionOf(text, needle, 0, occurrence);
  return { start, end: { line: start.line, column: start.column + needle.length } };
}
