// What the local executor does not do, said out loud: the run fails with this error (and the log
// says so) instead of running differently from how an Inngest server would run it.
export class UnsupportedByLocalExecutor extends Error {
  override name = "UnsupportedByLocalExecutor";

  constructor(what: string) {
    super(
      `The local executor does not support ${what}. Run this function on an Inngest server (Inngest Cloud, \`inngest start\`, or the Dev Server with INNGEST_DEV=1).`,
    );
  }
}
