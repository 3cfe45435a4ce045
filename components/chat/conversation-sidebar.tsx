// The person's conversations: a new one, a search by title, and the list (newest first).
import Link from "next/link";
import { ActionForm } from "@/components/ui/action-form";
import type { ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function ConversationSidebar(props: {
  conversations: { id: string; title: string }[];
  activeId: string | null;
  search: string;
  newConversation: Action;
}) {
  return (
    <aside className="flex w-full shrink-0 flex-col gap-3 md:w-64" aria-label="Conversations">
      <ActionForm action={props.newConversation} submitLabel="New conversation" pendingLabel="Starting…" variant="primary" label="New conversation" />
      <form method="get" role="search" className="flex gap-1">
        <input
          type="search"
          name="q"
          defaultValue={props.search}
          placeholder="Search titles"
          aria-label="Search conversations by title"
          className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1 text-sm"
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
                aria-current={c.id === props.activeId ? "page" : undefined}
                className={`block truncate rounded px-2 py-1 text-sm ${c.id === props.activeId ? "bg-indigo-50 font-medium text-indigo-800" : "text-slate-700 hover:bg-slate-50"}`}
              >
                {c.title}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
