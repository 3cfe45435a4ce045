// Makes a filled string satisfy its schema: format placeholders, maxLength (cut at a word), minLength
// (capped as the API boundary caps it).
import type { JSONSchema7 } from "@ai-sdk/provider";
import { cappedLength } from "./fill-budget";
import { capitalise, splitIdentifier } from "./text";

export function humanise(name: string): string {
  const words = splitIdentifier(name).toLowerCase();
  return words ? capitalise(words) : "Value";
}

// Deterministic values for formats the extractive text can never satisfy.
const FORMAT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  email: "offline@example.com",
  "idn-email": "offline@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  iri: "https://example.com/",
  "uri-reference": "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  "date-time": "1970-01-01T00:00:00Z",
  date: "1970-01-01",
  time: "00:00:00",
  duration: "P0D",
  hostname: "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
};

/** `text` without its last (possibly cut) word and the white space before it, found from the end. */
function beforeLastWord(text: string): string {
  const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);
  let at = text.length;
  while (at > 0 && !isSpace(text[at - 1])) at--;
  if (at === 0) return text;
  while (at > 0 && isSpace(text[at - 1])) at--;
  return text.slice(0, at);
}

/** Applies format, maxLength and minLength so the string validates. */
export function fitString(value: string, schema: JSONSchema7, name: string): string {
  let text = (schema.format && Object.hasOwn(FORMAT_PLACEHOLDERS, schema.format) ? FORMAT_PLACEHOLDERS[schema.format] : undefined) ?? value;
  const minLength = cappedLength(schema.minLength);
  const maxLength = schema.maxLength ?? Number.POSITIVE_INFINITY;
  if (text.length === 0 && minLength > 0) text = humanise(name);
  while (text.length < minLength) text = `${text} ${humanise(name)}`;
  if (text.length > maxLength) {
    const cut = text.slice(0, maxLength);
    const atWord = beforeLastWord(cut);
    text = atWord.length >= minLength && atWord.length > 0 ? atWord : cut;
  }
  return text;
}
