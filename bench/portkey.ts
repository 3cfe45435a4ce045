// Starts the open-source Portkey gateway (`@portkey-ai/gateway`, a dev dependency) the way its
// package runs (`node build/start-server.js --port N`), bound to loopback by a preload (it has no
// host option), for bench:gateway to compare with Keel against the same upstream.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface PortkeyServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startPortkey(port: number, nodeFlags: string[] = []): Promise<PortkeyServer> {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("@portkey-ai/gateway/package.json"));
  const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), "loopback-listen.mjs");
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, "--import", preload, path.join(packageDir, "build/start-server.js"), `--port=${port}`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes(String(port))) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the Portkey gateway exited (${code}): ${output.slice(-500)}`)));
  });
  // Its log line is printed as it starts listening; wait until it answers.
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.stdout!.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
