/** Hash routes (`#/sessions/cam-1`): the server serves one index.html under /console/ whatever the view. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  { page: 'sessions' } | { page: 'live'; sessionId: string } | { page: 'history'; sessionId?: string } | { page: 'admin' };

export function parseRoute(hash: string): Route {
  const [page, id] = hash
    .replace(/^#\/?/, '')
    .split('/')
    .map((part) => decodeURIComponent(part));
  switch (page) {
    case 'sessions':
      return id ? { page: 'live', sessionId: id } : { page: 'sessions' };
    case 'history':
      return id ? { page: 'history', sessionId: id } : { page: 'history' };
    case 'admin':
      return { page: 'admin' };
    default:
      return { page: 'sessions' };
  }
}

export function hrefFor(route: Route): string {
  switch (route.page) {
    case 'sessions':
      return '#/sessions';
    case 'live':
      return `#/sessions/${encodeURIComponent(route.sessionId)}`;
    case 'history':
      return route.sessionId ? `#/history/${encodeURIComponent(route.sessionId)}` : '#/history';
    case 'admin':
      return '#/admin';
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
