import { describe, expect, it } from 'vitest';
import { createPulledRevs } from '$lib/sync/pulled-revs';

describe('pulled revisions', () => {
  it('answers true once for a doc whose every leaf was pulled, then forgets it', () => {
    const pulled = createPulledRevs();
    pulled.add([
      { _id: 'note:a', _rev: '2-x' },
      { _id: 'note:b', _rev: '1-y' },
    ]);
    expect(pulled.consume('note:a', ['2-x'])).toBe(true);
    expect(pulled.consume('note:a', ['2-x'])).toBe(false);
    expect(pulled.consume('note:b', ['1-y'])).toBe(true);
  });

  it('answers false when a leaf was written here (a local edit or a conflict)', () => {
    const pulled = createPulledRevs();
    pulled.add([{ _id: 'note:a', _rev: '2-x' }]);
    expect(pulled.consume('note:a', ['2-x', '2-local'])).toBe(false);
    expect(pulled.consume('note:a', ['3-local'])).toBe(false);
    expect(pulled.consume('note:unknown', ['1-z'])).toBe(false);
    expect(pulled.consume('note:a', [])).toBe(false);
    expect(pulled.consume('note:a', ['2-x'])).toBe(true); // still remembered until used
  });

  it('keeps at most `max` revisions, forgetting the oldest docs first', () => {
    const pulled = createPulledRevs(3);
    pulled.add(['a', 'b', 'c', 'd'].map((k) => ({ _id: `note:${k}`, _rev: '1-r' })));
    expect(pulled.consume('note:a', ['1-r'])).toBe(false);
    expect(pulled.consume('note:d', ['1-r'])).toBe(true);
  });

  it('ignores rows without an id or revision', () => {
    const pulled = createPulledRevs();
    pulled.add([{ _id: 'note:a' }, { _rev: '1-r' }, { _id: 'note:b', _rev: 7 }]);
    expect(pulled.consume('note:a', ['1-r'])).toBe(false);
  });
});
