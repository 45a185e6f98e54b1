/**
 * Runs a graceful-stop step within a budget (SHUTDOWN_TIMEOUT_MS): resolves true when `stop` finished in time,
 * false when the budget ran out first (the step keeps running; shutdown goes on). A failing step rejects.
 */
export async function stopWithin(timeoutMs: number, stop: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([stop().then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
