// How many test files Vitest runs at once. Its default leaves one core free, which is a single
// worker on a 2-core machine; the tests spend most of their time waiting on PostgreSQL, the fake
// providers and timers, so two run well there. Each worker has a database of its own
// (test/global-setup.ts), so files never see each other's rows, jobs or locks.
import { availableParallelism } from "node:os";

export const unitTestWorkers = Math.max(2, availableParallelism() - 1);
