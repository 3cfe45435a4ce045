// Rows as CSV (RFC 4180) for the workspace export. Cells that a spreadsheet would run as a formula
// (starting with =, +, -, @, a tab or a carriage return) get a leading apostrophe: a workspace's
// text is written by its members and by models, and must not run in whoever opens the file. The
// JSON beside each CSV keeps every value exactly.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One value as the text of a cell: dates as ISO, objects as JSON, nothing as empty. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function csvCell(value: unknown): string {
  let text = cellText(value);
  // Numbers are numbers (a negative one stays as it is); only text can smuggle a formula.
  if (typeof value !== "number" && typeof value !== "bigint" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
