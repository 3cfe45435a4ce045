// The one place where text from outside (model answers, prompts echoed back, extracted document
// text) is made storable in PostgreSQL: `text` and `jsonb` refuse NUL characters, and `jsonb`
// refuses lone UTF-16 surrogates. One bad character must never make a whole write fail.

/** NUL removed, lone surrogates replaced with U+FFFD; everything else untouched. */
export function storableText(value: string): string {
  // Fast path: almost all text is already fine.
  if (value.indexOf("\u0000") === -1 && value.isWellFormed()) return value;
  return value.replaceAll("\u0000", "").toWellFormed();
}
