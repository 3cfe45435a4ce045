// One instance per process, whatever number of module instances Next.js loads (route handlers
// and pages get their own copies of a module; hot reloads re-evaluate them).
export function processSingleton<T>(key: string, create: () => T): T {
  const store = globalThis as typeof globalThis & { __keelSingletons?: Map<string, unknown> };
  store.__keelSingletons ??= new Map();
  if (!store.__keelSingletons.has(key)) store.__keelSingletons.set(key, create());
  return store.__keelSingletons.get(key) as T;
}

/** The instance if this process created one, without creating it (shutdown hooks). */
export function processSingletonIfCreated<T>(key: string): T | undefined {
  const store = globalThis as typeof globalThis & { __keelSingletons?: Map<string, unknown> };
  return store.__keelSingletons?.get(key) as T | undefined;
}
