import { describe, expect, it } from 'vitest';
import { hrefFor, parseRoute, type Route } from './router.js';

describe('hash routes', () => {
  it.each<[string, Route]>([
    ['', { page: 'sessions' }],
    ['#/sessions', { page: 'sessions' }],
    ['#/sessions/cam-1', { page: 'live', sessionId: 'cam-1' }],
    ['#/history', { page: 'history' }],
    ['#/history/cam_2', { page: 'history', sessionId: 'cam_2' }],
    ['#/admin', { page: 'admin' }],
    ['#/nowhere', { page: 'sessions' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    if (hash.startsWith('#/') && hash !== '#/nowhere') expect(hrefFor(route)).toBe(hash);
  });
});
