// How many test files Vitest runs at once: its own default (one core left free, so a single worker
// on a 2-core machine), made explicit because test/global-setup.ts gives each worker a database of
// its own, so files never see each other's rows, jobs or locks. Two workers on two cores were
// about 3 minutes faster here, but the timing-ratio tests (linear-time parsing) then measure the
// other worker's load too.
import { availableParallelism } from "node:os";

export const unitTestWorkers = Math.max(1, availableParallelism() - 1);
