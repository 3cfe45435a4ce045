// A Playwright reporter that ends the run with each failure's error in a few lines, after the list
// reporter's long output (screenshots, traces, call logs). CI keeps only the tail of what a run
// prints, and with a few failures the attachments alone used to push the errors themselves out of it.
import type { FullResult, Reporter, TestCase, TestResult } from "@playwright/test/reporter";

const MAX_LINES = 12;
const ANSI = /\u001b\[[0-9;]*m/g;

type Failure = { title: string; status: string; errors: string[] };

export default class FailureDigest implements Reporter {
  private readonly failures: Failure[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === "passed" || result.status === "skipped" || result.status === test.expectedStatus) return;
    const errors = result.errors.map((error) => {
      const lines = (error.message ?? error.value ?? "")
        .replace(ANSI, "")
        .split("\n")
        .filter((line) => line.trim() !== "");
      const where = error.location ? `    at ${error.location.file}:${error.location.line}` : "";
      return [...lines.slice(0, MAX_LINES), ...(lines.length > MAX_LINES ? ["    …"] : []), where].filter(Boolean).join("\n");
    });
    this.failures.push({ title: `${test.location.file.split("/e2e/").pop()}:${test.location.line} › ${test.title}`, status: result.status, errors });
  }

  onEnd(result: FullResult): void {
    if (this.failures.length === 0) return;
    const lines = [`\nFailures in brief (${result.status}):`];
    for (const failure of this.failures) {
      lines.push(`\n✘ ${failure.title} [${failure.status}]`);
      for (const error of failure.errors) lines.push(error.replace(/^/gm, "  "));
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
