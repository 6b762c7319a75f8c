import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "../../lib/errors";
import { useSignIn } from "./use-session";

export function SignInPage() {
  const signIn = useSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const errorId = useId();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };

  return (
    <div className="signin">
      <div className="signin-brand" aria-hidden="true">
        <Logo /> Seatdesk
      </div>
      <main className="signin-card">
        <h1>Sign in to the console</h1>
        <p className="muted">Manage your organization's seats, tiers and subscriptions.</p>
        <form onSubmit={submit} aria-describedby={signIn.isError ? errorId : undefined} noValidate={false}>
          {signIn.isError && (
            <div id={errorId} role="alert" className="alert alert-error">
              {errorMessage(signIn.error)}
            </div>
          )}
          {/* Still here after a successful sign-in: the browser did not keep the session cookie. */}
          {signIn.isSuccess && (
            <div role="alert" className="alert alert-error">
              The password was right, but your browser did not keep the session. Seatdesk's session cookie needs HTTPS unless you
              open it at localhost.
            </div>
          )}
          <div className="field">
            <label htmlFor="signin-email">E-mail</label>
            <input
              id="signin-email"
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="signin-password">Password</label>
            <input
              id="signin-password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={signIn.isPending}>
            {signIn.isPending ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </main>
    </div>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" width="24" height="24" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#ff9900" />
      <path d="M9 20h14v3H9zM11 9h10v9H11z" fill="#232f3e" />
    </svg>
  );
}
