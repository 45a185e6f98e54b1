/**
 * The page a mailed reset link opens (`/console/#/reset/<token>`): the token travels in the URL fragment, which the
 * browser never sends, so no proxy or server log holds it. The page removes it from the address bar at once and
 * POSTs it with the new password to /password-reset/confirm.
 */
import { useEffect, useState } from 'preact/hooks';
import { confirmPasswordReset, describeError } from '../api.js';

const RESET_ROUTE = /^#\/reset\/([A-Za-z0-9_-]{20,128})$/;

/** The reset token of a `#/reset/<token>` fragment, if that is what the console was opened with. */
export function resetTokenFrom(hash: string): string | undefined {
  return RESET_ROUTE.exec(hash)?.[1];
}

export function ResetPasswordPage({ token, onDone }: { token: string; onDone: (notice: string) => void }) {
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  // Out of the address bar and the history as soon as it is read.
  useEffect(() => history.replaceState(null, '', `${location.pathname}${location.search}`), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeated) return setError('the two passwords differ');
    setBusy(true);
    setError(undefined);
    try {
      await confirmPasswordReset(token, password);
      onDone('Your password was changed. Log in with the new one.');
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <main class="container login">
      <article>
        <header>
          <h1>Choose a new password</h1>
        </header>
        <form onSubmit={submit}>
          <label>
            New password
            <input
              name="new-password"
              type="password"
              autocomplete="new-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <label>
            Repeat it
            <input
              name="repeat-password"
              type="password"
              autocomplete="new-password"
              required
              value={repeated}
              onInput={(e) => setRepeated(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy} disabled={busy}>
            Set the new password
          </button>
        </form>
      </article>
    </main>
  );
}
