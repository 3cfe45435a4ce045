// `npm run bench:hostile`: each hostile upload (test/hostile-documents.ts) through what an app
// process does with it: the type sniffed at upload, then extraction and chunking in the document
// pool (lib/documents/processing), one fresh child process per attack, watched from outside:
// time to the outcome, the process's peak RSS, and the longest its main thread was held (event-loop
// delay) meanwhile. A child still running after BENCH_TIMEOUT_S (default 120) or over 5 GB RSS is
// killed and reported so. The end-to-end view of the same attacks is e2e/hostile-uploads.spec.ts.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as hostile from "../test/hostile-documents";

type Make = () => Uint8Array | Promise<Uint8Array>;
const attacks: [label: string, fileName: string, make: Make][] = [
  ["ZIP64 directory declaring 5 billion entries", "a.docx", () => hostile.zip64EntryCountBomb()],
  ["DOCX deflate bomb (2 GB, headers lie)", "b.docx", () => hostile.docxDeflateBomb(2048, true)],
  ["DOCX deflate bomb (2 GB, headers honest)", "b.docx", () => hostile.docxDeflateBomb(2048, false)],
  ["DOCX XML nested 200,000 deep", "c.docx", () => hostile.docxDeepNesting()],
  ["PDF stream inflating to 2 GB", "d.pdf", () => hostile.pdfInflatingStream(2048)],
  ["PDF text on one 242,000-character line", "e.pdf", () => hostile.pdfOneLongLine()],
  ["HTML nested 100,000 deep", "f.html", () => hostile.deepHtml()],
  ["10 MB of HTML", "g.html", () => hostile.largeHtml()],
  ["XML nested 100,000 deep", "h.html", () => hostile.deepXml()],
  ["Markdown, 32 KB heading", "i.md", () => hostile.markdownLongHeading()],
  ["2 MB of spaces", "j.txt", () => hostile.textOfSpaces()],
  ["one 1 MB word", "k.txt", () => hostile.textOneWord()],
  ["one 3 MB line", "l.txt", () => hostile.textOneLine()],
  ["Markdown, 4 MB data URI", "m.md", () => hostile.markdownDataUri()],
  ["__proto__ names (Markdown)", "__proto__.md", () => hostile.markdownPrototypeNames()],
  ["__proto__ names (DOCX)", "constructor.docx", () => hostile.docxPrototypeNames()],
];

const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 120) * 1000;
const MAX_RSS = 5 * 1024 * 1024 * 1024;

if (process.argv[2] === "child") {
  const { monitorEventLoopDelay } = await import("node:perf_hooks");
  const { detectDocumentKind } = await import("../lib/documents/detect-kind");
  const { DocumentPool } = await import("../lib/documents/processing/pool");
  const { processingSettingsFromEnv } = await import("../lib/documents/processing/settings");
  const { defaultChunkSettings } = await import("../lib/documents/chunk-settings");
  const [, name, make] = attacks[Number(process.argv[3])]!;
  const bytes = await make();
  const pool = new DocumentPool(processingSettingsFromEnv());
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let outcome: string;
  try {
    const kind = detectDocumentKind(bytes, name);
    const extracted = await pool.extract({ bytes, kind });
    const chunked = await pool.chunk({ segments: extracted.segments, settings: defaultChunkSettings });
    outcome = `${chunked.chunks.length} passages, ${chunked.tokenCount.toLocaleString("en")} tokens`;
  } catch (error) {
    outcome = `refused: ${(error as Error).message}`;
  }
  delay.disable();
  console.log(JSON.stringify({ ms: Math.round(performance.now() - started), outcome, maxLoopDelayMs: Math.round(delay.max / 1e6) }));
  await pool.close();
  process.exit(0);
}

function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

console.log("attack | outcome | time | main-thread max delay | peak RSS");
for (const [index, [label]] of attacks.entries()) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/hostile-documents.ts", "child", String(index)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  let killed = "";
  const started = performance.now();
  const watch = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid!));
    if (peak > MAX_RSS) killed = "killed: over 5 GB RSS";
    else if (performance.now() - started > TIMEOUT_MS) killed = `killed: still running after ${TIMEOUT_MS / 1000} s`;
    if (killed) child.kill("SIGKILL");
  }, 50);
  await new Promise((resolve) => child.on("exit", resolve));
  clearInterval(watch);
  const result = output.trim() ? (JSON.parse(output.trim().split("\n").at(-1)!) as { ms: number; outcome: string; maxLoopDelayMs: number }) : null;
  const outcome = killed || (result ? result.outcome.slice(0, 110) : "crashed");
  const time = result ? `${(result.ms / 1000).toFixed(2)} s` : "–";
  console.log(`${label} | ${outcome} | ${time} | ${result ? `${result.maxLoopDelayMs} ms` : "–"} | ${Math.round(peak / 1048576)} MB`);
}
