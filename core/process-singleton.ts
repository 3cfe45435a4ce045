// One instance per process, whatever number of module instances Next.js loads (route handlers
// and pages get their own copies of a module; hot reloads re-evaluate them).
const holder = globalThis as typeof globalThis & { __keelSingletons?: Map<string, unknown> };
const instances = (holder.__keelSingletons ??= new Map());

export function processSingleton<T>(key: string, create: () => T): T {
  if (!instances.has(key)) instances.set(key, create());
  return instances.get(key) as T;
}

/** The instance if this process created one, without creating it (shutdown hooks). */
export function processSingletonIfCreated<T>(key: string): T | undefined {
  return instances.get(key) as T | undefined;
}
