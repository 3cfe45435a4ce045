// `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`: the functions with the most self
// time in a V8 CPU profile (`node --cpu-prof`), and the share of time under each package or
// source directory (inclusive), as text a commit message or README can quote.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: bench/profile-summary.ts <file.cpuprofile> [top]");
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// Time per sample: the delta that follows it.
const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

const root = `${process.cwd()}/`;
/** A short place name: the package under node_modules, else the path inside the repository. */
function place(url: string): string {
  if (!url) return "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return url;
  const repo = url.indexOf(root);
  return repo >= 0
    ? url
        .slice(repo + root.length)
        .split("/")
        .slice(0, 2)
        .join("/")
    : url;
}

const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || "(anonymous)"} ${place(url)}:${lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + ms);
  // Inclusive per place: count the sample once for every distinct place on its stack.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const p = place(byId.get(at)!.callFrame.url);
    if (byId.get(at)!.callFrame.url && !seen.has(p)) {
      seen.add(p);
      places.set(p, (places.get(p) ?? 0) + ms);
    }
  }
}

const pct = (ms: number) => `${((ms / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1000).toFixed(1)} s sampled`);
console.log(`\nself time, top ${top}:`);
for (const [name, ms] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(ms)}  ${name}`);
console.log(`\ninclusive time by package or directory, top ${top}:`);
for (const [name, ms] of [...places].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(ms)}  ${name}`);
