/**
 * The console shell: login until a token is issued, then the navigation and the current view. The token, the API
 * client and the WebSocket feed exist only while signed in; logout, expiry and a refused token drop all of them.
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import { ApiClient } from '../api.js';
import { canOperate, isAdmin, sessionFromToken, type IssuedToken } from '../auth.js';
import { LiveFeed } from '../live-feed.js';
import { hrefFor, useRoute } from '../router.js';
import { AdminPage } from './admin.js';
import { formatDuration, SignedInContext, useNow, type SignedIn } from './common.js';
import { HistoryPage } from './history.js';
import { LiveView } from './live.js';
import { LoginPage } from './login.js';
import { ResetPasswordPage, resetTokenFrom } from './reset-password.js';
import { useEmailVerification } from './verify-email.js';
import { SessionsPage } from './sessions.js';

const EXPIRY_WARNING_MS = 60_000;

const SIGN_OUT_REASONS: Record<string, string> = {
  expired: 'Your session expired. Log in again to continue.',
  TOKEN_EXPIRED: 'Your session expired. Log in again to continue.',
  TOKEN_REVOKED: 'Your access was changed by an administrator. Log in again.',
};

export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const [notice, setNotice] = useState<string>();
  const expiryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const current = useRef<SignedIn | null>(null);

  const signOut = useCallback((reason?: string) => {
    clearTimeout(expiryTimer.current);
    current.current?.feed.close();
    current.current = null;
    setSignedIn(null);
    setNotice(reason && (SIGN_OUT_REASONS[reason] ?? `You were signed out (${reason}). Log in again.`));
  }, []);

  const signIn = useCallback(
    (issued: IssuedToken) => {
      const session = sessionFromToken(issued.access_token, Date.now(), issued.expires_in);
      const api = new ApiClient(issued.access_token, (code) => signOut(code));
      const feed = new LiveFeed({ token: issued.access_token, onTokenExpired: () => signOut('expired') }).start();
      current.current = { session, api, feed };
      expiryTimer.current = setTimeout(() => signOut('expired'), Math.max(0, session.expiresAt - Date.now()));
      setNotice(undefined);
      setSignedIn(current.current);
    },
    [signOut],
  );

  useEmailVerification(setNotice);
  const [resetToken, setResetToken] = useState(() => resetTokenFrom(location.hash));
  if (resetToken) {
    return (
      <ResetPasswordPage
        token={resetToken}
        onDone={(message) => {
          setResetToken(undefined);
          setNotice(message);
        }}
      />
    );
  }
  if (!signedIn) return <LoginPage notice={notice} onSignedIn={signIn} />;
  return (
    <SignedInContext.Provider value={signedIn}>
      <Shell signedIn={signedIn} onLogout={() => signOut()} />
    </SignedInContext.Provider>
  );
}

function Shell({ signedIn, onLogout }: { signedIn: SignedIn; onLogout: () => void }) {
  const route = useRoute();
  const now = useNow(1000);
  const { session } = signedIn;
  const remaining = session.expiresAt - now;
  const admin = isAdmin(session);

  return (
    <>
      <header class="container-fluid topbar">
        <nav>
          <ul>
            <li>
              <strong>Sightline</strong>
            </li>
            <li>
              <a
                href={hrefFor({ page: 'sessions' })}
                aria-current={route.page === 'sessions' || route.page === 'live' ? 'page' : undefined}
              >
                Sessions
              </a>
            </li>
            <li>
              <a href={hrefFor({ page: 'history' })} aria-current={route.page === 'history' ? 'page' : undefined}>
                History
              </a>
            </li>
            {admin && (
              <li>
                <a href={hrefFor({ page: 'admin' })} aria-current={route.page === 'admin' ? 'page' : undefined}>
                  Admin
                </a>
              </li>
            )}
          </ul>
          <ul>
            <li data-testid="whoami">
              {session.username} <small>({session.roles.join(', ') || 'no role'})</small>
            </li>
            <li>
              <small
                class={remaining < EXPIRY_WARNING_MS ? 'warning' : undefined}
                title="Access tokens are short-lived; log in again when it runs out"
              >
                expires in {formatDuration(remaining)}
              </small>
            </li>
            <li>
              <button class="secondary outline" onClick={onLogout}>
                Log out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container-fluid">
        {route.page === 'sessions' && <SessionsPage canOperate={canOperate(session)} />}
        {route.page === 'live' && <LiveView sessionId={route.sessionId} canOperate={canOperate(session)} />}
        {route.page === 'history' && <HistoryPage sessionId={route.sessionId} />}
        {route.page === 'admin' &&
          (admin ? (
            <AdminPage />
          ) : (
            <article data-testid="forbidden">
              <p role="alert">
                Administration is for administrators only. You are signed in as {session.username} ({session.roles.join(', ') || 'no role'}
                ).
              </p>
            </article>
          ))}
      </main>
    </>
  );
}
