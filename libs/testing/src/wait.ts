/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs` with
 * the last value seen. Tests wait for a condition, never for a fixed time.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition', intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
