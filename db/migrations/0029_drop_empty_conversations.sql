-- Conversations are now created with their first question (in the same transaction), so a
-- conversation is never kept without messages. Those the old "New conversation" button left empty
-- are removed once (as keel_system: row-level security is forced on these tables).
SET LOCAL ROLE keel_system;--> statement-breakpoint
DELETE FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.conversation_id = c.id);--> statement-breakpoint
RESET ROLE;
