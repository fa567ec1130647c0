import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDraftSaver, type DraftState } from '$lib/ui/draft-saver';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(fail: () => boolean = () => false) {
  const writes: Record<string, unknown>[] = [];
  const states: DraftState[] = [];
  const errors: unknown[] = [];
  const saver = createDraftSaver<unknown>({
    delayMs: 300,
    write: async (changes) => {
      if (fail()) throw new Error('disk full');
      writes.push(changes);
    },
    onstate: (s) => states.push(s),
    onerror: (e) => errors.push(e),
  });
  return { saver, writes, states, errors };
}

describe('createDraftSaver', () => {
  it('writes a burst of changes once, after the pause, merged per key', async () => {
    const { saver, writes, states } = setup();
    saver.change('a', 1);
    await vi.advanceTimersByTimeAsync(100);
    saver.change('a', 2);
    saver.change('b', 'x');
    expect(writes).toEqual([]);
    expect(saver.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(300);
    expect(writes).toEqual([{ a: 2, b: 'x' }]);
    expect(states).toEqual(['pending', 'saved']);
  });

  it('flush writes the last change at once (pagehide) and does not write it twice', async () => {
    const { saver, writes } = setup();
    saver.change('a', 'last keystroke');
    await saver.flush();
    expect(writes).toEqual([{ a: 'last keystroke' }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toHaveLength(1);
    expect(saver.state).toBe('saved');
  });

  it('keeps the changes of a failed write and writes them with the next flush', async () => {
    let failing = true;
    const { saver, writes, errors } = setup(() => failing);
    saver.change('a', 1);
    await saver.flush();
    expect(saver.state).toBe('error');
    expect(errors).toHaveLength(1);
    failing = false;
    saver.change('b', 2);
    await saver.flush();
    expect(writes).toEqual([{ a: 1, b: 2 }]);
    expect(saver.state).toBe('saved');
  });

  it('dispose stops the timer but a last flush still writes', async () => {
    const { saver, writes } = setup();
    saver.change('a', 1);
    saver.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([]);
    await saver.flush();
    expect(writes).toEqual([{ a: 1 }]);
  });
});
