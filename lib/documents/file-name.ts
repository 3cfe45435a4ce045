// An uploader's file name, made safe to show and store: only the last path component, no control
// or direction-changing characters, bounded length with the extension kept. It is only ever
// displayed: storage keys come from ids.

const MAX_LENGTH = 200;
// C0/C1 controls, and the bidirectional overrides that can disguise an extension ("txt.exe").
const UNSAFE = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;

export function safeFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? "";
  let name = last.normalize("NFC").replace(UNSAFE, "").replace(/\s+/g, " ").trim();
  // Leading dots would hide the file on disk listings; trailing dots and spaces confuse Windows.
  name = name.replace(/^\.+/, "").replace(/(?<![. ])[. ]+$/, "");
  if (!name) return "untitled";
  const chars = Array.from(name);
  if (chars.length <= MAX_LENGTH) return name;
  const extension = /\.[\p{L}\p{N}]{1,10}$/u.exec(name)?.[0] ?? "";
  const keep = MAX_LENGTH - Array.from(extension).length - 1;
  return `${chars.slice(0, keep).join("").trimEnd()}…${extension}`;
}
