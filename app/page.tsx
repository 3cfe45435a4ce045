import { redirect } from "next/navigation";
import { publicPage } from "@/lib/http/guarded-page";

export default publicPage(() => redirect("/chat"));
