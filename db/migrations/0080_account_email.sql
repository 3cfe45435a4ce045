-- Accounts by email (issue 19): single-use tokens for email verification, password reset and email
-- change; the development outbox; invitations addressed to an email.
-- Tokens: only the sha256 of the secret is stored. A signed-in person may see and write their own
-- (issuing a change of email); following an emailed link happens before anyone is known, on the
-- system path.
CREATE TABLE "account_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"email" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "account_tokens_purpose_check" CHECK ("purpose" IN ('verify_email', 'reset_password', 'change_email'))
);
--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_tokens_user_id_idx" ON "account_tokens" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY own_tokens ON account_tokens FOR ALL TO keel_app
  USING (user_id = keel_current_user()) WITH CHECK (user_id = keel_current_user());--> statement-breakpoint
CREATE POLICY system_all ON account_tokens FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- The development outbox: mail that had no SMTP server to go to. Owned by no tenant (a message may
-- go to someone who has no account yet) and never product data: only the system path reads it,
-- for the dev-only /dev/outbox page.
CREATE TABLE "mail_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"html" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "mail_outbox_created_at_idx" ON "mail_outbox" USING btree ("created_at");--> statement-breakpoint
REVOKE ALL ON mail_outbox FROM keel_app;--> statement-breakpoint
ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY system_all ON mail_outbox FOR ALL TO keel_system USING (true) WITH CHECK (true);--> statement-breakpoint
-- An invitation may be addressed to someone: the link goes to them by email, and can be sent again.
ALTER TABLE "invitations" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "invitations" ADD COLUMN "sent_at" timestamp with time zone;
