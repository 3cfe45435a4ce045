// Hostile uploads against the production build as `npm start` serves it (two workers, PostgreSQL
// when TEST_DATABASE_URL is set). Each attack is generated here (test/hostile-documents.ts) and
// uploaded by one workspace's member through the API, and for each this asserts three things:
//  (a) the document ends with a clear reason (or, for input that is legitimately processable, gets
//      through extraction and chunking to embedding, bounded, and is then cancelled);
//  (b) no serving process died or was replaced (same pids and start times before and after);
//  (c) another workspace's requests, made all through the attack, are each answered in under 1 s.
//      The same requests are timed just before the attack too: on a machine so loaded by other work
//      that they take longer than half a second with no attack at all, the bound is twice that
//      slowest baseline instead (both are printed). On a machine of its own (CI), it is 1 s.
//      The other workspace is a client of its own (Node's fetch, its session's cookies), not a
//      context of the Playwright driver that also carries the attacker's 10 MB uploads and its
//      trace: that process stalled for seconds at times, with the server idle (server-side timing
//      showed every request under 0.7 s meanwhile).
// Last, the largest original is downloaded and previewed eight times at once, with the same (b) and (c):
// serving it whole once held a worker for a quarter of a second per request.
// It prints a table of the figures (time to the outcome, slowest other-tenant request, peak RSS).
import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import {
  deepHtml,
  deepXml,
  docxDeepNesting,
  docxDeflateBomb,
  docxPrototypeNames,
  largeHtml,
  markdownDataUri,
  markdownLongHeading,
  markdownPrototypeNames,
  pdfInflatingStream,
  pdfOneLongLine,
  textOfSpaces,
  textOneLine,
  textOneWord,
  zip64EntryCountBomb,
} from "../test/hostile-documents";
import { person, signUp } from "./pages/keel";
import { residentBytes, servingProcesses } from "./pages/server-processes";

test.describe.configure({ mode: "serial" });

const PORT = Number(process.env.E2E_PORT ?? 3210);
const OTHER_TENANT_BOUND_MS = 1_000;

interface Attack {
  label: string;
  fileName: string;
  make: () => Uint8Array | Promise<Uint8Array>;
  /** The reason the document must give; absent: it is processable, and must reach embedding. */
  error?: RegExp;
}

const attacks: Attack[] = [
  {
    label: "ZIP64 directory declaring 5 billion entries (~128 B DOCX)",
    fileName: "entries.docx",
    make: () => zip64EntryCountBomb(),
    error: /declares 5,000,000,000 entries/,
  },
  {
    label: "DOCX deflate bomb, 2 GB behind headers claiming 2 KB",
    fileName: "bomb.docx",
    make: () => docxDeflateBomb(2048, true),
    error: /expands to more than 64 MB/,
  },
  { label: "DOCX whose XML nests 200,000 deep", fileName: "nested.docx", make: () => docxDeepNesting(), error: /nests elements more than 256 levels/ },
  { label: "PDF with a stream inflating to 2 GB", fileName: "stream.pdf", make: () => pdfInflatingStream(2048), error: /expands to more than 128 MB/ },
  { label: "HTML nested 100,000 deep", fileName: "nested.html", make: () => deepHtml(), error: /nested more than 512 levels/ },
  { label: "XML (XHTML) nested 100,000 deep", fileName: "nested-xml.html", make: () => deepXml(), error: /nested more than 512 levels/ },
  // Processable, and heavy to store and embed (~4,000 passages): the job process does that, not
  // the processes serving requests (scripts/job-worker.ts).
  { label: "10 MB of HTML", fileName: "large.html", make: () => largeHtml(10) },
  { label: "PDF whose text is one 242,000-character line", fileName: "line.pdf", make: () => pdfOneLongLine() },
  { label: "Markdown with a 32 KB one-line heading", fileName: "heading.md", make: () => markdownLongHeading() },
  { label: "2 MB of spaces", fileName: "spaces.txt", make: () => textOfSpaces(2) },
  { label: "a single 1 MB word", fileName: "word.txt", make: () => textOneWord(1) },
  { label: "a 3 MB single line", fileName: "line.txt", make: () => textOneLine(3) },
  { label: "Markdown with a 4 MB data URI", fileName: "figure.md", make: () => markdownDataUri(4) },
  { label: "__proto__ / constructor names in Markdown", fileName: "__proto__.md", make: () => markdownPrototypeNames() },
  { label: "__proto__ / constructor names in a DOCX", fileName: "constructor.docx", make: () => docxPrototypeNames() },
];

const attacker = person("Mallory");
const victim = person("Victor");
let attackerPage: Page;
let attackerApi: APIRequestContext;
let victimCookies: string;
let attackerCookies: string;
const figures: string[] = [];

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test.beforeAll(async ({ browser, playwright }) => {
  test.setTimeout(300_000);
  attackerPage = await newPage(browser);
  const victimPage = await newPage(browser);
  await signUp(attackerPage, attacker, `Hostile ${Date.now().toString(36)}`);
  await signUp(victimPage, victim, `Bystander ${Date.now().toString(36)}`);
  attackerApi = attackerPage.context().request;
  const cookieHeader = async (page: Page) => (await page.context().storageState()).cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  victimCookies = await cookieHeader(victimPage);
  attackerCookies = await cookieHeader(attackerPage);
  // The first request for a route in a worker loads that route's code (Next.js loads lazily; 0.5–4 s
  // on this machine), and the first document the job process analyses starts its document thread:
  // neither is the attacks' doing, so both happen here first, in every worker. node:cluster hands
  // each new connection to the next worker, and a client keeps its connection alive, so each
  // warm-up round opens connections of its own.
  const origin = `http://127.0.0.1:${PORT}`;
  for (let round = 0; round < 4; round++) {
    const attackerRound = await playwright.request.newContext({ baseURL: origin, storageState: await attackerPage.context().storageState() });
    const victimRound = await playwright.request.newContext({ baseURL: origin, storageState: await victimPage.context().storageState() });
    const pageRound = await newPage(browser);
    await pageRound.context().addCookies((await attackerPage.context().storageState()).cookies);
    try {
      expect((await victimRound.get("/api/members")).status()).toBe(200);
      const upload = await attackerRound.post("/api/documents", {
        headers: { "x-file-name": `warm-up-${round}.md`, "content-type": "application/octet-stream" },
        data: Buffer.from(`# Warm-up ${round}\n\nThe turbine reports its output every day.`),
      });
      expect(upload.status()).toBe(201);
      const { document } = (await upload.json()) as { document: { id: string } };
      await expect.poll(async () => (await documentState(document.id, attackerRound)).stage, { timeout: 120_000, intervals: [1_000] }).toBe("ready");
      await pageRound.goto(`/documents/${document.id}`);
    } finally {
      await Promise.all([attackerRound.dispose(), victimRound.dispose(), pageRound.context().close()]);
    }
  }
});

test.afterAll(() => {
  console.log(
    ["", "attack | outcome | time to outcome | other tenant: slowest request during (n) / before | peak RSS of a serving process", ...figures].join("\n"),
  );
});

/** The other workspace's request, timed. */
async function bystanderRequest(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${PORT}/api/members`, { headers: { cookie: victimCookies } });
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  expect(response.status).toBe(200);
  return elapsed;
}

const decodeEntities = (html: string) =>
  html.replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/** The document's stage (a running job's, else the document's status) and error, as its page shows them. */
async function documentState(id: string, api: APIRequestContext = attackerApi): Promise<{ stage: string; error: string | null }> {
  const html = await (await api.get(`/documents/${id}`)).text();
  const stage = /data-testid="document-status" data-stage="([^"]+)"/.exec(html)?.[1] ?? "unknown";
  const error = /data-testid="document-error"[^>]*>([^<]*)</.exec(html)?.[1];
  return { stage, error: error === undefined ? null : decodeEntities(error) };
}

/**
 * The other workspace's requests, one after another (150 ms apart) while `attack` runs, timed:
 * the bound is 1 s, or twice the slowest of eight requests just before (a machine loaded by other
 * work). A cancelled analysis finishes the step it is in, so the previous attack may still be
 * working: the baseline waits (up to a minute) until eight requests in a row are quick again.
 */
async function duringAttack<T>(processes: ReturnType<typeof servingProcesses>, attack: () => Promise<T>) {
  let baseline: number[] = [];
  const settleBy = Date.now() + 60_000;
  do {
    baseline = [];
    for (let i = 0; i < 8; i++) baseline.push(await bystanderRequest());
  } while (Math.max(...baseline) > 250 && Date.now() < settleBy);
  const before = Math.max(...baseline);

  const latencies: number[] = [];
  const sentAt: number[] = [];
  let peakRss = 0;
  let attacking = true;
  const bystander = (async () => {
    // At least three samples, even when the attack is refused faster than that (a quiet machine).
    while (attacking || latencies.length < 3) {
      sentAt.push(performance.now());
      latencies.push(await bystanderRequest());
      peakRss = Math.max(peakRss, ...residentBytes(processes));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  })();
  const started = performance.now();
  let result: T;
  try {
    result = await attack();
  } finally {
    attacking = false;
    await bystander;
  }
  const slowest = Math.max(...latencies);
  return {
    result,
    elapsed: performance.now() - started,
    /** The slowest of the other workspace's requests, when it was sent (s into the attack), how many, and the bound. */
    bystander: {
      slowest,
      at: (sentAt[latencies.indexOf(slowest)]! - started) / 1000,
      count: latencies.length,
      before,
      bound: Math.max(OTHER_TENANT_BOUND_MS, 2 * before),
    },
    peakRss,
  };
}

function expectBystanderServed(bystander: Awaited<ReturnType<typeof duringAttack>>["bystander"]): void {
  expect(bystander.count).toBeGreaterThanOrEqual(3);
  expect(bystander.slowest, `the slowest of ${bystander.count} requests; before the attack the slowest took ${Math.round(bystander.before)} ms`).toBeLessThan(
    bystander.bound,
  );
}

/** Documents the attacks stored, by file name. */
const uploaded = new Map<string, string>();

for (const attack of attacks) {
  test(attack.label, async () => {
    // A processable attack runs until embedding starts, at background priority on a loaded machine.
    test.setTimeout(180_000);
    const bytes = await attack.make();
    const processes = servingProcesses(PORT);
    expect(processes.length, "the primary and its two workers").toBeGreaterThanOrEqual(3);

    const {
      result: outcome,
      elapsed,
      bystander,
      peakRss,
    } = await duringAttack(processes, async () => {
      const upload = await attackerApi.post("/api/documents", {
        headers: { "x-file-name": encodeURIComponent(attack.fileName), "content-type": "application/octet-stream" },
        data: Buffer.from(bytes),
        timeout: 60_000,
      });
      expect(upload.status(), await upload.text()).toBe(201);
      const { document } = (await upload.json()) as { document: { id: string } };
      uploaded.set(attack.fileName, document.id);
      if (attack.error) {
        await expect.poll(async () => (await documentState(document.id)).stage, { timeout: 90_000, intervals: [1_000] }).toBe("failed");
        const { error } = await documentState(document.id);
        expect(error).toMatch(/could not be processed/);
        expect(error).toMatch(attack.error);
        return `failed: ${error!.slice(0, 90)}…`;
      }
      // Processable: extraction and chunking finish, bounded, and embedding starts (or it is ready).
      // Embedding spends the workspace's monthly tokens: once they are gone, a document fails at
      // that stage with the quota's reason, which also shows its text was read and chunked.
      await expect
        .poll(async () => (await documentState(document.id)).stage, { timeout: 120_000, intervals: [1_000] })
        .toMatch(/^(embedding|analysing|ready|failed)$/);
      const { stage, error } = await documentState(document.id);
      if (stage === "failed") expect(error).toMatch(/monthly token limit/);
      if (stage !== "ready" && stage !== "failed") {
        // The document page, as its owner opens it to cancel (it previews HTML and PDF originals).
        await attackerPage.goto(`/documents/${document.id}`);
        const cancel = attackerPage.getByRole("button", { name: "Cancel analysis" });
        if (await cancel.isVisible()) await cancel.click();
      }
      return stage === "ready" ? "ready" : stage === "failed" ? "chunked, then out of token quota at embedding" : `reached ${stage}, then cancelled`;
    });

    // (b) The same processes serve, none replaced.
    expect(servingProcesses(PORT)).toEqual(processes);
    // (c) Every request of the other workspace was answered in under a second.
    figures.push(
      `${attack.label} | ${outcome} | ${(elapsed / 1000).toFixed(1)} s | ${Math.round(bystander.slowest)} ms at ${bystander.at.toFixed(1)} s (${bystander.count}) / ${Math.round(bystander.before)} ms | ${Math.round(peakRss / 1048576)} MB`,
    );
    expectBystanderServed(bystander);
  });
}

/**
 * How many bytes the attacker's GET of `path` answered, counted as they arrive and dropped: 80 MB
 * of bodies neither cross the Playwright driver's pipe nor pile up in this process, where the other
 * workspace's requests are timed.
 */
async function downloadedBytes(path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${PORT}${path}`, { headers: { cookie: attackerCookies } });
  expect(response.status).toBe(200);
  let bytes = 0;
  const reader = response.body!.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  return bytes;
}

test("the 10 MB original downloaded and previewed eight times at once", async () => {
  test.setTimeout(120_000);
  const id = uploaded.get("large.html");
  expect(id, "the 10 MB HTML attack stored its document").toBeDefined();
  const processes = servingProcesses(PORT);
  const {
    result: sizes,
    elapsed,
    bystander,
    peakRss,
  } = await duringAttack(processes, () =>
    Promise.all(Array.from({ length: 8 }, (_, i) => downloadedBytes(`/api/documents/${id}/${i % 2 ? "preview" : "original"}`))),
  );
  expect(sizes).toEqual(Array(8).fill(sizes[0]));
  expect(sizes[0]).toBeGreaterThan(10_000_000);
  expect(servingProcesses(PORT)).toEqual(processes);
  figures.push(
    `10 MB original, 8 downloads at once | served | ${(elapsed / 1000).toFixed(1)} s | ${Math.round(bystander.slowest)} ms at ${bystander.at.toFixed(1)} s (${bystander.count}) / ${Math.round(bystander.before)} ms | ${Math.round(peakRss / 1048576)} MB`,
  );
  expectBystanderServed(bystander);
});
