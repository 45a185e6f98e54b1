/**
 * What a mailed signup link opens (`/console/#/verify/<token>`): like a reset link, the token travels in the fragment,
 * which the browser never sends; it is removed from the address bar at once and POSTed to /signup/verify. The
 * outcome is shown as the login page's notice.
 */
import { useEffect } from 'preact/hooks';
import { confirmSignup, describeError } from '../api.js';

const VERIFY_ROUTE = /^#\/verify\/([A-Za-z0-9_-]{20,128})$/;

export function verifyTokenFrom(hash: string): string | undefined {
  return VERIFY_ROUTE.exec(hash)?.[1];
}

/** Confirms the address of a `#/verify/<token>` link the console was opened with, once. */
export function useEmailVerification(onNotice: (notice: string) => void): void {
  useEffect(() => {
    const token = verifyTokenFrom(location.hash);
    if (!token) return;
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    confirmSignup(token).then(
      () => onNotice('Your address is confirmed. Log in.'),
      (err: unknown) => onNotice(`Your address could not be confirmed: ${describeError(err)}`),
    );
  }, []);
}
