// Bytes of a text file to a string, whatever its encoding: a byte-order mark decides; UTF-16
// without one is recognised by its NUL bytes; valid UTF-8 is UTF-8; anything else is a legacy
// single- or multi-byte encoding, named by a detector (chardet) over a bounded sample. Unicode is
// decoded by the WHATWG TextDecoder; legacy encodings by iconv-lite, because Node 20's TextDecoder
// decodes Windows-1252 as ISO-8859-1 (0x93 becomes U+0093, not a curly quote). Latin-1 is read as
// Windows-1252, its superset in practice (as browsers do). Nothing is refused for its encoding: a
// wrong guess costs some odd characters, never the document.
import { analyse } from "chardet";
import iconv from "iconv-lite";

/** How much of a file the detectors look at: enough to decide, never the whole of a large file. */
const SAMPLE_BYTES = 64 * 1024;

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/** UTF-16 with no byte-order mark: most text has a NUL in every other byte, on one side only. */
function bomlessUtf16(sample: Uint8Array): "utf-16le" | "utf-16be" | null {
  const pairs = Math.floor(Math.min(sample.length, 4096) / 2);
  if (pairs < 2) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (sample[2 * i] === 0) evenZeros++;
    if (sample[2 * i + 1] === 0) oddZeros++;
  }
  if (oddZeros / pairs > 0.3 && evenZeros / pairs < 0.05) return "utf-16le";
  if (evenZeros / pairs > 0.3 && oddZeros / pairs < 0.05) return "utf-16be";
  return null;
}

function isUtf8(bytes: Uint8Array, complete: boolean): boolean {
  try {
    // `stream` when the bytes are a prefix: a character cut off at its end is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

const UNICODE = new Set(["utf-8", "utf-16le", "utf-16be"]);

/** A legacy encoding's name from the detector, or Windows-1252 (Latin-1's superset) when unsure. */
function legacyEncoding(sample: Uint8Array): string {
  for (const guess of analyse(sample)) {
    if (guess.confidence < 30) break;
    const name = guess.name.toLowerCase();
    // Unicode guesses were ruled out already (no BOM, no NUL pattern, not valid UTF-8).
    if (name.startsWith("utf")) continue;
    if (name === "iso-8859-1") return "windows-1252";
    if (iconv.encodingExists(name)) return name;
  }
  return "windows-1252";
}

/** `bytes` decoded as `encoding` (a name detectTextEncoding gave); a byte-order mark is dropped. */
export function decodeAs(bytes: Uint8Array, encoding: string): string {
  if (UNICODE.has(encoding)) return new TextDecoder(encoding).decode(bytes);
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
}

/**
 * The encoding of a text file from its first bytes. `complete` says whether `bytes` is the whole
 * file (a prefix may end inside a character).
 */
export function detectTextEncoding(bytes: Uint8Array, complete: boolean): string {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return "utf-8";
  if (startsWith(bytes, [0xff, 0xfe])) return "utf-16le";
  if (startsWith(bytes, [0xfe, 0xff])) return "utf-16be";
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  const utf16 = bomlessUtf16(sample);
  if (utf16) return utf16;
  if (isUtf8(bytes, complete)) return "utf-8";
  return legacyEncoding(sample);
}

export interface DecodedText {
  text: string;
  encoding: string;
}

/**
 * A file as text: the whole of it, or (`complete` false) its beginning, which may end inside a
 * character. A byte-order mark is dropped; undecodable bytes become U+FFFD.
 */
export function decodeTextBytes(bytes: Uint8Array, complete = true): DecodedText {
  const encoding = detectTextEncoding(bytes, complete);
  return { text: decodeAs(bytes, encoding), encoding };
}
