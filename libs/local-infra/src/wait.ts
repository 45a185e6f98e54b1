/** Polls `predicate` until it holds; fails naming `what` after `timeoutMs`. For tests and process supervision. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
