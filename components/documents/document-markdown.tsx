// A document's own Markdown (its original, or one of its passages) shown rendered, through the
// same safe renderer as chat answers: no raw HTML, no images fetched, only safe links.
import { AnswerMarkdown } from "@/components/chat/markdown";

export function DocumentMarkdown({ text, testId }: { text: string; testId: string }) {
  return (
    <div data-testid={testId}>
      <AnswerMarkdown text={text} />
    </div>
  );
}
