/** A clock as runes state: re-read every few seconds and when the page becomes visible again. */

/**
 * `current` is `read()` (ms), refreshed every `everyMs` until the calling component is destroyed.
 * Call it while a component initialises. `read` is the injectable clock (the session's corrected
 * time on the board; the browser tests move the page's clock).
 */
export function ticker(read: () => number, everyMs = 15_000): { readonly current: number } {
  let current = $state(read());
  $effect(() => {
    const tick = () => (current = read());
    const timer = setInterval(tick, everyMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible') tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  });
  return {
    get current() {
      return current;
    },
  };
}
