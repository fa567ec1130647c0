import { describe, expect, it } from 'vitest';
import { attachSyncTriggers } from '$lib/sync/triggers';
import type { RestartReason } from '$lib/sync/sync';

/** An EventTarget with a settable visibilityState, like `document`. */
class FakeTarget extends EventTarget {
  visibilityState = 'visible';
  fire(type: string) {
    this.dispatchEvent(new Event(type));
  }
}

function setup() {
  const calls: RestartReason[] = [];
  const controller = { restart: (reason: RestartReason) => void calls.push(reason) };
  const window = new FakeTarget();
  const document = new FakeTarget();
  const detach = attachSyncTriggers(controller, { window, document });
  return { calls, window, document, detach };
}

describe('attachSyncTriggers', () => {
  it('restarts on `online`', () => {
    const { calls, window } = setup();
    window.fire('online');
    expect(calls).toEqual(['online']);
  });

  it('restarts when the page becomes visible, not when it is hidden', () => {
    const { calls, document } = setup();
    document.visibilityState = 'hidden';
    document.fire('visibilitychange');
    expect(calls).toEqual([]);
    document.visibilityState = 'visible';
    document.fire('visibilitychange');
    expect(calls).toEqual(['visible']);
  });

  it('restarts on `offline` (dropping the requests in flight)', () => {
    const { calls, window } = setup();
    window.fire('offline');
    expect(calls).toEqual(['offline']);
  });

  it('ignores events on the wrong target', () => {
    const { calls, window, document } = setup();
    document.fire('online');
    window.fire('visibilitychange');
    expect(calls).toEqual([]);
  });

  it('detach removes every listener', () => {
    const { calls, window, document, detach } = setup();
    detach();
    window.fire('online');
    window.fire('offline');
    document.fire('visibilitychange');
    expect(calls).toEqual([]);
  });
});
