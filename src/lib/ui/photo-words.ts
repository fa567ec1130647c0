/** The photo upload list of the sync status in words and numbers for the Sync screen (pure). */
import type { PhotoUpload } from '$lib/sync/status';
import { sizeLabel } from './sync-words';

/** Where the media lane's current run of photos is. */
export interface UploadSummary {
  /** Photos sent (or refused) of the run. */
  done: number;
  total: number;
  /** Bytes of the photos sent so far, of the run's bytes: the honest measure of progress. */
  doneBytes: number;
  totalBytes: number;
  /** 0-100, by bytes. */
  percent: number;
  /** One line, e.g. "Sending photo 2 of 5 - 38% of 2.4 MB". */
  label: string;
}

const finished = (u: PhotoUpload) => u.state === 'synced' || u.state === 'refused';

/**
 * Sums up a run of photo uploads; `waiting` (photos not on the server yet, known offline too)
 * speaks for photos the media lane has not listed yet.
 */
export function uploadSummary(photos: PhotoUpload[], waiting = 0): UploadSummary {
  const total = photos.length;
  const done = photos.filter(finished).length;
  const totalBytes = photos.reduce((n, u) => n + u.bytes, 0);
  const doneBytes = photos.filter(finished).reduce((n, u) => n + u.bytes, 0);
  const percent = totalBytes > 0 ? Math.floor((doneBytes / totalBytes) * 100) : 0;
  const of = (n: number) => `${n === 1 ? 'photo' : 'photos'}`;
  let label: string;
  if (total === done && waiting > 0) label = `${waiting} ${of(waiting)} waiting to be sent`;
  else if (total === 0) label = 'No photos to send';
  else if (done === total) label = `${total} ${of(total)} sent (${sizeLabel(totalBytes)})`;
  else if (photos.some((u) => u.state === 'uploading')) {
    label = `Sending photo ${done + 1} of ${total} - ${percent}% of ${sizeLabel(totalBytes)}`;
  } else
    label = `${total - done} ${of(total - done)} waiting (${sizeLabel(totalBytes - doneBytes)})`;
  return { done, total, doneBytes, totalBytes, percent, label };
}

/** One photo's state in a word or two. */
export function uploadStateLabel(upload: PhotoUpload): string {
  switch (upload.state) {
    case 'waiting':
      return 'Waiting';
    case 'uploading':
      return 'Sending';
    case 'synced':
      return 'On the server';
    case 'refused':
      return 'Refused by the server';
  }
}
