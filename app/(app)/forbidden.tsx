import Link from "next/link";
import { PageHeader } from "@/components/ui/empty-state";

/** What `forbidden()` renders (with HTTP 403) inside the app's shell: a page for owners and admins only. */
export default function Forbidden() {
  return (
    <>
      <PageHeader title="Not available to you" />
      <p role="alert" className="rounded-md bg-amber-50 p-4 text-sm text-amber-900">
        This page is visible to the workspace&apos;s owners and admins only.{" "}
        <Link href="/usage" className="font-medium underline">
          See your own usage
        </Link>
      </p>
    </>
  );
}
