// The processes serving the end-to-end server (scripts/serve.ts: the primary and its workers, all
// started with the same arguments), read from /proc on this machine: the same set before and after
// an attack means nothing died and was replaced. Also their resident memory, sampled.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

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

/** Inodes of the sockets a process holds open (its /proc/<pid>/fd links `socket:[inode]`). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/**
 * Whether one of the processes holds the TCP connection whose local port is `localPort` (as a
 * fake provider saw it, its client's port): which of several servers made a request.
 */
export function holdsConnectionFrom(processes: ServingProcess[], localPort: number): boolean {
  for (const { pid } of processes) {
    const inodes = socketInodes(pid);
    for (const table of ["tcp", "tcp6"]) {
      for (const line of (readProc(String(pid), `net/${table}`) ?? "").split("\n").slice(1)) {
        // Fields: sl, local address (hex ip:port), remote address, state, queues, …, inode (10th).
        const fields = line.trim().split(/\s+/);
        const port = Number.parseInt(fields[1]?.split(":")[1] ?? "", 16);
        if (port === localPort && inodes.has(fields[9] ?? "")) return true;
      }
    }
  }
  return false;
}
