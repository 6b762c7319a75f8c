import { QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { SignInPage } from "../features/session/SignInPage";
import { useMe, useSessionExpiryWatcher } from "../features/session/use-session";
import { errorMessage, isUnauthorized } from "../lib/errors";
import { Shell } from "./Shell";
import { makeQueryClient, makeTrpcClient, TRPCProvider } from "./trpc";

export function App() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SessionGate />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** Sign-in page or console, as `session.me` says. */
function SessionGate() {
  useSessionExpiryWatcher();
  const me = useMe();
  // While `me` asks again (after a sign-in attempt), the page that asked stays up instead of a spinner.
  const [settled, setSettled] = useState<"signin" | "console" | null>(null);
  let view: "signin" | "console" | "error" | "loading" = "loading";
  if (me.isError && isUnauthorized(me.error)) view = "signin";
  // A failed background refresh keeps the console up with what it knows.
  else if (me.data) view = "console";
  else if (me.isError) view = "error";
  else if (settled === "signin") view = "signin";
  if ((view === "signin" || view === "console") && view !== settled) setSettled(view);

  if (view === "signin") return <SignInPage />;
  if (view === "console" && me.data) return <Shell me={me.data} />;
  if (view === "error") {
    return (
      <div className="fullpage">
        <div role="alert" className="alert alert-error">
          {errorMessage(me.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="fullpage" role="status">
      <span className="spinner" aria-hidden="true" /> Loading the console…
    </div>
  );
}
