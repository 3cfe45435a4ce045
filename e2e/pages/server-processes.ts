// The processes serving the end-to-end server (scripts/serve.ts: the primary and its workers, all
// started with the same arguments), read from /proc on this machine: the same set before and after
// an attack means nothing died and was replaced. Also their resident memory, sampled.
import { readdirSync, readFileSync } from "node:fs";

export interface ServingProcess {
  pid: number;
  /** Start time in clock ticks since boot: a replaced process has another, even if its pid were reused. */
  startTicks: number;
}

function readProc(pid: string, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}

/** Every process whose command line runs the server (compiled, or scripts/serve.ts) on `port`. */
export function servingProcesses(port: number): ServingProcess[] {
  const found: ServingProcess[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const argv = readProc(pid, "cmdline")?.split("\0") ?? [];
    const portAt = argv.indexOf("-p");
    if (!argv.some((arg) => arg.endsWith("keel-server/serve.mjs") || arg.endsWith("scripts/serve.ts")) || portAt < 0 || argv[portAt + 1] !== String(port))
      continue;
    const stat = readProc(pid, "stat");
    if (!stat) continue;
    // Fields after the command name (which may hold spaces): state is field 3, start time field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    found.push({ pid: Number(pid), startTicks: Number(fields[19]) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** Resident memory of each process now, in bytes. */
export function residentBytes(processes: ServingProcess[]): number[] {
  return processes.map((p) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readProc(String(p.pid), "status") ?? "");
    return match ? Number(match[1]) * 1024 : 0;
  });
}
