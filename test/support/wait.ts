// Polls until `fn` gives a value (errors count as "not yet"), or fails naming what it waited for.
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
