import { describe, expect, it } from 'vitest';
import type { PhotoUpload } from '$lib/sync/status';
import { uploadStateLabel, uploadSummary } from '$lib/ui/photo-words';

const upload = (id: string, state: PhotoUpload['state'], bytes: number): PhotoUpload => ({
  id: `photo:${id}`,
  state,
  bytes,
});

describe('uploadSummary', () => {
  it('measures progress by bytes of photos on the server', () => {
    const run = [
      upload('a', 'synced', 300_000),
      upload('b', 'uploading', 500_000),
      upload('c', 'waiting', 200_000),
    ];
    expect(uploadSummary(run)).toEqual({
      done: 1,
      total: 3,
      doneBytes: 300_000,
      totalBytes: 1_000_000,
      percent: 30,
      label: 'Sending photo 2 of 3 - 30% of 1 MB',
    });
  });

  it('says how many wait, offline too, and when all are sent', () => {
    expect(uploadSummary([upload('a', 'waiting', 400_000)]).label).toBe('1 photo waiting (400 KB)');
    expect(uploadSummary([], 3).label).toBe('3 photos waiting to be sent');
    expect(uploadSummary([upload('a', 'synced', 400_000)], 2).label).toBe(
      '2 photos waiting to be sent',
    );
    const sent = uploadSummary([upload('a', 'synced', 400_000), upload('b', 'synced', 100_000)]);
    expect([sent.label, sent.percent]).toEqual(['2 photos sent (500 KB)', 100]);
    expect(uploadSummary([]).label).toBe('No photos to send');
  });

  it('names each state in words', () => {
    expect(
      (['waiting', 'uploading', 'synced', 'refused'] as const).map((s) =>
        uploadStateLabel(upload('a', s, 1)),
      ),
    ).toEqual(['Waiting', 'Sending', 'On the server', 'Refused by the server']);
  });
});
