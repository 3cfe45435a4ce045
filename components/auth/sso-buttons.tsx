"use client";
// One "Sign in with …" button per configured single sign-on provider; each starts that provider's
// sign-in through a server action (which counts the attempt, then redirects to the provider).
import { useActionState } from "react";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface SsoButtonsProps {
  providers: Array<{ id: string; name: string }>;
  action: Action;
  callbackUrl: string;
}

function SsoButton({ provider, action, callbackUrl }: { provider: { id: string; name: string }; action: Action; callbackUrl: string }) {
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form action={formAction} className="flex flex-col gap-2">
      <FormMessage state={state} />
      <input type="hidden" name="providerId" value={provider.id} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <SubmitButton variant="secondary" pendingLabel="Redirecting…">
        Sign in with {provider.name}
      </SubmitButton>
    </form>
  );
}

export function SsoButtons({ providers, action, callbackUrl }: SsoButtonsProps) {
  if (providers.length === 0) return null;
  return (
    <div className="flex flex-col gap-2" data-testid="sso-buttons">
      {providers.map((provider) => (
        <SsoButton key={provider.id} provider={provider} action={action} callbackUrl={callbackUrl} />
      ))}
    </div>
  );
}
