/** Polls until `check` returns a truthy value; fails after `ms` (every wait in a test is bounded). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  ms = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
