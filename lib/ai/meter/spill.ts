// The meter's overflow: when the database is unreachable for long enough that the queue passes
// its bound, the oldest records go to a local file (one JSON record per line) and are replayed
// when the database is back, or when the next process starts. Writes are idempotent on request
// ids, so a record replayed twice is still counted once.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import type { CallRecord } from "./records";

let sequence = 0;

export function spillRecords(dir: string, records: CallRecord[]): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `meter-${process.pid}-${Date.now()}-${++sequence}.jsonl`);
  appendFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n", { mode: 0o600 });
  return file;
}

export interface ClaimedSpill {
  records: CallRecord[];
  /** The records are written: remove the file. */
  done(): void;
  /** They could not be written now: put the file back for a later replay. */
  giveBack(): void;
}

const isRecord = (value: unknown): value is CallRecord =>
  typeof value === "object" && value !== null && typeof (value as CallRecord).tenantId === "string" && typeof (value as CallRecord).requestId === "string";

/** Takes one spilled file (renamed, so another process does not replay it at the same time). */
export function claimSpill(dir: string): ClaimedSpill | null {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith(".jsonl"))
      .sort();
  } catch {
    return null;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const claimed = `${file}.replaying-${process.pid}`;
    try {
      renameSync(file, claimed);
    } catch {
      continue; // another process took it
    }
    const records: CallRecord[] = [];
    for (const line of readFileSync(claimed, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isRecord(parsed)) records.push(parsed);
      } catch {
        // A torn last line from a crash mid-write: the rest is still good.
      }
    }
    return {
      records,
      done: () => rmSync(claimed, { force: true }),
      giveBack: () => renameSync(claimed, file),
    };
  }
  return null;
}
