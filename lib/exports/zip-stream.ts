// Writes a zip as it is read, one entry after another, through fflate's streaming Zip: each input
// chunk is compressed and handed on before the next is read, so memory holds one chunk, never the
// archive. fflate writes no ZIP64 records: an entry or archive past 4 GiB, or past 65,535
// entries, is refused rather than written wrong (docs/accounts.md says so).
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";

export interface ZipEntry {
  /** The path inside the archive, with forward slashes. */
  name: string;
  data: AsyncIterable<Uint8Array>;
  /** Deflate it (JSON, CSV) or store it as is (originals, mostly compressed already). */
  compress: boolean;
  modified?: Date;
}

const FOUR_GIB = 2 ** 32 - 1;
const MAX_ENTRIES = 65_535;

export async function* zipStream(entries: AsyncIterable<ZipEntry>): AsyncGenerator<Uint8Array> {
  const ready: Uint8Array[] = [];
  let failure: Error | null = null;
  let written = 0;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else {
      written += chunk.length;
      ready.push(chunk);
    }
  });
  function* drain(): Generator<Uint8Array> {
    if (failure) throw failure;
    if (written > FOUR_GIB) throw new Error("The export is larger than 4 GiB, more than a zip without ZIP64 can hold.");
    while (ready.length > 0) yield ready.shift()!;
  }
  let count = 0;
  for await (const entry of entries) {
    if (++count > MAX_ENTRIES) throw new Error(`The export has more than ${MAX_ENTRIES} files, more than a zip without ZIP64 can hold.`);
    const file = entry.compress ? new ZipDeflate(entry.name, { level: 6 }) : new ZipPassThrough(entry.name);
    if (entry.modified) file.mtime = entry.modified;
    zip.add(file);
    for await (const chunk of entry.data) {
      file.push(chunk, false);
      yield* drain();
    }
    file.push(new Uint8Array(0), true);
    yield* drain();
  }
  zip.end();
  yield* drain();
}

/** Text chunks as bytes. */
export async function* utf8(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for await (const chunk of chunks) yield encoder.encode(chunk);
}
