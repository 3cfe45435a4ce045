// Every repository path the README, docs/ and bench/README.md name must exist: a doc that points at a
// moved or deleted file is worse than no doc. A "path" is an inline code span or a Markdown link
// target that looks like one (see isPathCandidate); URLs, npm package names, env vars, commands and
// runtime directories (git-ignored, like .data/) are left alone. Fenced code blocks are skipped: they
// hold code and shell sessions, whose strings are not claims about the tree.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

export interface NamedPath {
  /** As written in the document (an inline code span or a link target, anchor removed). */
  text: string;
  /** Relative to the repository root. */
  resolved: string;
  line: number;
  /** A link's `#fragment`, which must name a heading when the target is Markdown. */
  anchor?: string;
}

/** File endings that make a slash-less name (`package.json`) or a slashed one unambiguously a file. */
const fileExtension = /\.(?:ts|tsx|mts|mjs|cjs|js|json|md|sql|sh|png|jpe?g|svg|css|txt|ya?ml)$/;
/** What a path in this repository is made of: Next.js route groups and dynamic segments included. */
const pathCharacters = /^[\w.@()[\]*+-]+(?:\/[\w.@()[\]*+-]*)*$/;

export interface TreeFacts {
  /** Top-level entries of the repository (`app`, `lib`, `package.json`, …). */
  topLevel: ReadonlySet<string>;
  /** Dependency names from package.json: `inngest/next` is an import, not the inngest/ folder. */
  dependencies: ReadonlySet<string>;
  /** First path segments that git ignores (`.data`, `.next`, `test-results`): runtime, not tree. */
  ignoredRoots: ReadonlySet<string>;
}

/** Whether an inline code span names a repository path (relative to the root) rather than anything else. */
export function isPathCandidate(text: string, facts: TreeFacts): boolean {
  const token = text.startsWith("@/") ? text.slice(2) : text;
  if (!pathCharacters.test(token)) return false; // spaces (commands), colons (URLs, `bench:chat`), `<placeholders>`
  if (token.startsWith("/") || token.startsWith("@")) return false; // URL paths, absolute paths, scoped packages
  const first = token.split("/")[0]!;
  if (facts.ignoredRoots.has(first) || first.startsWith(".env")) return false;
  if (!token.includes("/")) return fileExtension.test(token) || facts.topLevel.has(token);
  if (fileExtension.test(token) || token.endsWith("/")) return true;
  // A bare `a/b`: a folder of ours when it starts at one of our top-level folders, else an import
  // specifier (`drizzle-orm/pglite`) or a name (`document/uploaded`, `text/html`).
  return facts.topLevel.has(first);
}

/** The paths a Markdown document names, resolved against the repository root (or the file, for links). */
export function namedPaths(markdown: string, file: string, facts: TreeFacts): NamedPath[] {
  const found: NamedPath[] = [];
  let fenced = false;
  markdown.split("\n").forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    // Links first, so that a link's target is not also read as prose.
    const links = [...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g), ...line.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)];
    for (const match of links) {
      const [target = "", anchor] = match[1]!.split("#");
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const resolved = target === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(target)));
      found.push({ text: match[1]!, resolved, line: index + 1, ...(anchor ? { anchor } : {}) });
    }
    for (const match of line.matchAll(/(`+)(.+?)\1/g)) {
      const span = match[2]!.trim();
      // A command (`bash scripts/install-pgvector.sh`): only its words that are plainly files count.
      const words = /\s/.test(span) ? span.split(/\s+/).filter((word) => word.includes("/") && fileExtension.test(word)) : [span];
      for (const text of words) {
        if (!isPathCandidate(text, facts)) continue;
        found.push({ text, resolved: path.posix.normalize(text.startsWith("@/") ? text.slice(2) : text), line: index + 1 });
      }
    }
  });
  return found;
}

/** The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Files under `dir` (relative to the root), skipping dependencies and build output. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".git" || entry.name === ".next") continue;
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(relative));
    else out.push(relative);
  }
  return out;
}

function globMatchesSomething(pattern: string): boolean {
  const base = pattern.slice(0, pattern.indexOf("*")).replace(/[^/]*$/, "") || ".";
  if (!existsSync(path.join(root, base))) return false;
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  const regex = new RegExp(`^${escaped.replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*")}$`);
  return walk(base === "." ? "" : base.replace(/\/$/, "")).some((file) => regex.test(file));
}

/** `inngest/next`: a subpath a dependency exports, when no such file is ours. */
function isDependencySubpath(resolved: string, dependencies: ReadonlySet<string>): boolean {
  const [first, ...rest] = resolved.split("/");
  if (!first || !dependencies.has(first) || rest.length === 0) return false;
  const manifest = path.join(root, "node_modules", first, "package.json");
  if (!existsSync(manifest)) return false;
  const exports: unknown = (JSON.parse(readFileSync(manifest, "utf8")) as { exports?: unknown }).exports;
  return typeof exports === "object" && exports !== null && `./${rest.join("/")}` in exports;
}

/** Whether a link's fragment names a heading of the Markdown file it points at (other targets: nothing to check). */
export function anchorExists(named: NamedPath): boolean {
  if (!named.anchor || !named.resolved.endsWith(".md")) return true;
  const file = path.join(root, named.resolved);
  return existsSync(file) && headingAnchors(readFileSync(file, "utf8")).has(named.anchor);
}

export function pathExists(resolved: string, facts: TreeFacts): boolean {
  if (resolved.includes("*")) return globMatchesSomething(resolved);
  const absolute = path.join(root, resolved);
  if (existsSync(absolute)) return !resolved.endsWith("/") || statSync(absolute).isDirectory();
  return isDependencySubpath(resolved, facts.dependencies);
}

function treeFacts(): TreeFacts {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
  const dependencies = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  const ignoredRoots = new Set(
    readFileSync(path.join(root, ".gitignore"), "utf8")
      .split("\n")
      .map((line) => line.trim().replace(/^\//, ""))
      .map((line) => line.replace(/\/$/, ""))
      // Whole top-level entries only: `bench/profiles/*.cpuprofile` must not hide bench/.
      .filter((line) => line !== "" && !line.startsWith("#") && !line.includes("*") && !line.includes("/")),
  );
  const topLevel = new Set(readdirSync(root).filter((name) => name !== "node_modules" && name !== ".git" && !ignoredRoots.has(name)));
  return { topLevel, dependencies, ignoredRoots };
}

function documents(): string[] {
  const docs = existsSync(path.join(root, "docs")) ? walk("docs").filter((file) => file.endsWith(".md")) : [];
  return ["README.md", "bench/README.md", ...docs].filter((file) => existsSync(path.join(root, file)));
}

describe("paths named in the README, docs/ and bench/README.md", () => {
  const facts = treeFacts();

  it("reads the documents it is meant to guard", () => {
    const files = documents();
    expect(files).toContain("README.md");
    expect(files).toContain("bench/README.md");
    expect(files.filter((file) => file.startsWith("docs/")).length).toBeGreaterThanOrEqual(4);
  });

  it("all exist", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of documents()) {
      for (const named of namedPaths(readFileSync(path.join(root, file), "utf8"), file, facts)) {
        checked++;
        if (!pathExists(named.resolved, facts)) missing.push(`${file}:${named.line}: ${named.text}`);
        else if (!anchorExists(named)) missing.push(`${file}:${named.line}: ${named.text} (no such heading)`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(50); // the extractor found the docs' paths, not nothing
  });

  it("flags a made-up path and leaves URLs, packages, variables and commands alone", () => {
    const sample = [
      "The gateway is `lib/ai/index.ts`; the jobs live in `inngest/functions/`, the tests in `e2e/`.",
      "Made up: `lib/ai/imaginary-router.ts`, `nowhere/`, [a link](missing.md) and `@/lib/nope.ts`.",
      "Not paths: `@ai-sdk/react`, `drizzle-orm/pglite`, `inngest/next`, `DATABASE_URL`, `npm run dev`,",
      "`npx tsx bench/<file>.ts`, `/api/v1/models`, `http://localhost:3000`, `document/uploaded`,",
      "Commands: `npx tsx bench/load.ts --rounds 3`, `bash scripts/not-there.sh`, `npx inngest-cli dev -u http://x/api/inngest`.",
      "`.data/pglite`, `text/html`, `bench:gateway`, `<n>.sql`, [Inngest](https://www.inngest.com).",
      "```sh",
      "cat lib/ai/also-made-up.ts `lib/in-a-fence.ts`",
      "```",
      "A glob: `app/api/v1/**/route.ts`; a relative link from docs/: [up](../package.json).",
    ].join("\n");
    const named = namedPaths(sample, "docs/sample.md", facts);
    expect(named.map((n) => n.resolved)).toEqual([
      "lib/ai/index.ts",
      "inngest/functions/",
      "e2e/",
      "docs/missing.md",
      "lib/ai/imaginary-router.ts",
      "nowhere/",
      "lib/nope.ts",
      "inngest/next",
      "bench/load.ts",
      "scripts/not-there.sh",
      "package.json",
      "app/api/v1/**/route.ts",
    ]);
    const missing = named.filter((n) => !pathExists(n.resolved, facts)).map((n) => n.text);
    expect(missing).toEqual(["missing.md", "lib/ai/imaginary-router.ts", "nowhere/", "@/lib/nope.ts", "scripts/not-there.sh"]);
  });

  // The other direction, for the README's tour only: a folder added to the tree (top level, or a
  // main folder of lib/) must be added to the tour. Tracked files only, so local clutter is ignored.
  const tracked = (() => {
    try {
      return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
    } catch {
      return null; // not a git checkout (an exported tarball): nothing to compare with
    }
  })();
  it.skipIf(tracked === null)("the README's tour names every top-level folder and every folder of lib/", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const folders = new Set<string>();
    for (const file of tracked ?? []) {
      const parts = file.split("/");
      if (parts.length > 1) folders.add(`${parts[0]}/`);
      if (parts[0] === "lib" && parts.length > 2) folders.add(`lib/${parts[1]}/`);
    }
    const untoured = [...folders].filter((folder) => !readme.includes(`\`${folder}\``)).sort();
    expect(untoured).toEqual([]);
    expect(folders.size).toBeGreaterThan(20);
  });

  it("reads heading anchors as GitHub writes them, and flags a link to a heading that is not there", () => {
    const anchors = headingAnchors("# Jobs (`inngest/`)\n## 0001 — A local executor\n```\n# not a heading\n```\n## Usage\n## Usage\n");
    expect([...anchors]).toEqual(["jobs-inngest", "0001--a-local-executor", "usage", "usage-1"]);
    expect(anchorExists({ text: "", resolved: "docs/security.md", line: 1, anchor: "the-tenant-model" })).toBe(true);
    expect(anchorExists({ text: "", resolved: "docs/security.md", line: 1, anchor: "a-heading-nobody-wrote" })).toBe(false);
    expect(namedPaths("See [below](#usage) and [there](api.md#rate-limits).", "docs/x.md", facts).map((n) => [n.resolved, n.anchor])).toEqual([
      ["docs/x.md", "usage"],
      ["docs/api.md", "rate-limits"],
    ]);
  });

  it("treats a file named as a folder, and a glob that matches nothing, as missing", () => {
    expect(pathExists("package.json/", facts)).toBe(false);
    expect(pathExists("app/api/v1/**/nothing-here.ts", facts)).toBe(false);
    expect(pathExists("inngest/not-an-export", facts)).toBe(false);
  });
});
