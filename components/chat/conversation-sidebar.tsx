// The person's conversations: a new one, a search by title, and the list (newest first). Long
// titles are cut at a word, with the whole title on hover.
import { MessageSquare, Plus, Search } from "lucide-react";
import Link from "next/link";
import { truncateAtWord } from "@/lib/text/truncate";

/** About two lines of the list at its width. */
const LISTED_TITLE_CHARS = 48;

export function ConversationSidebar(props: { conversations: { id: string; title: string }[]; activeId: string | null; search: string }) {
  return (
    <aside className="flex w-full shrink-0 flex-col gap-3 md:w-64" aria-label="Conversations">
      <Link
        href="/chat"
        className="flex items-center justify-center gap-1.5 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        <Plus aria-hidden className="size-4" />
        New conversation
      </Link>
      <form method="get" role="search" className="relative flex gap-1">
        <Search aria-hidden className="pointer-events-none absolute top-1/2 left-2 size-3.5 -translate-y-1/2 text-slate-400" />
        <input
          type="search"
          name="q"
          defaultValue={props.search}
          placeholder="Search titles"
          aria-label="Search conversations by title"
          className="min-w-0 flex-1 rounded-md border border-slate-300 py-1 pr-2 pl-7 text-sm"
        />
      </form>
      {props.conversations.length === 0 ? (
        <p className="text-sm text-slate-500">{props.search ? "No conversation has that in its title." : "No conversations yet."}</p>
      ) : (
        <ul className="flex max-h-[60vh] flex-col gap-1 overflow-y-auto" data-testid="conversation-list">
          {props.conversations.map((c) => (
            <li key={c.id}>
              <Link
                href={`/chat/${c.id}`}
                title={c.title}
                aria-current={c.id === props.activeId ? "page" : undefined}
                className={`flex items-start gap-2 rounded px-2 py-1 text-sm break-words ${c.id === props.activeId ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-700 hover:bg-slate-50"}`}
              >
                <MessageSquare aria-hidden className="mt-0.5 size-3.5 shrink-0 text-slate-400" />
                <span className="min-w-0">{truncateAtWord(c.title, LISTED_TITLE_CHARS)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
