// How many test files Vitest runs at once: one per core (Vitest's own default leaves one core free,
// a single worker on a 2-core machine). Each worker gets a database of its own from
// test/global-setup.ts, so files never see each other's rows, jobs or locks. On this project's
// 2-core machine two workers ran the suite in 237 s instead of 449 s; the tests that time work
// compare it with an anchor measured in the same worker, or bound it loosely, so the other
// worker's load does not decide them. KEEL_TEST_WORKERS overrides the count.
import { availableParallelism } from "node:os";

export const unitTestWorkers = Number(process.env.KEEL_TEST_WORKERS) || availableParallelism();
