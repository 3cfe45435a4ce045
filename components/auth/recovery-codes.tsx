"use client";
// Recovery codes, shown once: Keel keeps only their hashes. The page refreshes (and the codes go)
// when the person says they saved them.
import { useRouter } from "next/navigation";

export function RecoveryCodes({ codes }: { codes: string }) {
  const router = useRouter();
  const list = codes.split("\n");
  return (
    <div role="status" className="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-950">
      <p className="font-medium">Your recovery codes (shown once — save them somewhere safe)</p>
      <p className="mt-1 text-xs">Each signs you in once without your app or passkey. Keel cannot show them again.</p>
      <ul className="mt-2 grid grid-cols-2 gap-1 font-mono" data-testid="recovery-codes">
        {list.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="mt-3 flex gap-2">
        <button type="button" className="rounded-md border border-amber-400 px-3 py-1" onClick={() => void navigator.clipboard?.writeText(codes)}>
          Copy
        </button>
        <button type="button" className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white" onClick={() => router.refresh()}>
          I saved them
        </button>
      </div>
    </div>
  );
}
