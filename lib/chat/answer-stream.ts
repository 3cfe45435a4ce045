// An answer as a stream of text deltas, for the server actions that return it to the browser.
import type { TenantContext } from "@/lib/tenancy/context";
import { followAnswer } from "./answers";

/** The answer's new text as deltas, until it is no longer being written (or the browser leaves). */
export function answerTextStream(ctx: TenantContext, answerId: string): ReadableStream<string> {
  const stop = new AbortController();
  let sent = 0;
  let updates: AsyncGenerator<{ text: string }> | null = null;
  return new ReadableStream<string>({
    async pull(controller) {
      updates ??= followAnswer(ctx, answerId, stop.signal);
      // Each pull must enqueue or close: a pull that does neither is not called again.
      for (;;) {
        const next = await updates.next();
        if (next.done) return controller.close();
        const { text } = next.value;
        // A follower may start after text it never saw (a reload): the first update carries it all.
        if (text.length > sent) {
          controller.enqueue(text.slice(sent));
          sent = text.length;
          return;
        }
      }
    },
    cancel() {
      // The browser went away: stop following. The answer itself goes on being written.
      stop.abort();
      void updates?.return(undefined);
    },
  });
}
