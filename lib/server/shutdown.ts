// The process is stopping (SIGTERM). Long-lived responses (server-sent events) end at once, since
// their clients reconnect to another worker or the restarted server. Work that belongs to the
// process rather than to a request (chat answers being written) registers itself here: the server
// waits for it until the grace period is up, then stops it (saved, and billed for what was delivered).
import { setMaxListeners } from "node:events";
import { processSingleton } from "@/core/process-singleton";

export interface ProcessWork {
  /** Resolves once the work in progress now has finished by itself. */
  settled(): Promise<void>;
  /** Stops the work in progress; resolves once it is saved. */
  stop(): Promise<void>;
}

interface ShutdownState {
  controller: AbortController;
  work: Map<string, ProcessWork>;
}

function newState(): ShutdownState {
  const controller = new AbortController();
  // Every open live stream listens to it (removing itself when it ends): many is normal, not a leak.
  setMaxListeners(0, controller.signal);
  return { controller, work: new Map() };
}

const state = () => processSingleton<ShutdownState>("server:shutdown", newState);

/** Aborted when the process begins to stop. */
export function shutdownSignal(): AbortSignal {
  return state().controller.signal;
}

export function beginShutdown(): void {
  state().controller.abort();
}

/** Registers (or replaces, by name) work a stopping server waits for, then stops. */
export function registerProcessWork(name: string, work: ProcessWork): void {
  state().work.set(name, work);
}

/** Resolves when all registered work in progress has finished by itself. */
export async function processWorkSettled(): Promise<void> {
  await Promise.allSettled([...state().work.values()].map((work) => work.settled()));
}

/** Stops all registered work; resolves when it is saved. */
export async function stopProcessWork(): Promise<void> {
  await Promise.allSettled([...state().work.values()].map((work) => work.stop()));
}
