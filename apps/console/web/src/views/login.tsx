import { useState } from 'preact/hooks';
import { ApiError, describeError, login } from '../api.js';
import type { IssuedToken } from '../auth.js';

export function LoginPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (issued: IssuedToken) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const issued = await login(username.trim(), password);
      setPassword('');
      onSignedIn(issued);
    } catch (err) {
      setError(loginErrorText(err));
      setBusy(false);
    }
  };

  return (
    <main class="container login">
      <article>
        <header>
          <h1>Sightline console</h1>
        </header>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit}>
          <label>
            Username
            <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              aria-invalid={error ? true : undefined}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy} disabled={busy}>
            Log in
          </button>
        </form>
      </article>
    </main>
  );
}

function loginErrorText(err: unknown): string {
  if (err instanceof ApiError && err.code === 'INVALID_CREDENTIALS') return 'Wrong username or password.';
  if (err instanceof ApiError && err.status === 429) {
    return `Too many attempts; try again in ${err.retryAfterSeconds ?? 60} s.`;
  }
  return `Login failed: ${describeError(err)}`;
}
