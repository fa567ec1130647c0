/** Short confirmations and errors in words, shown in one polite live region. */

export type ToastKind = 'info' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

const SHOWN_MS: Record<ToastKind, number> = { info: 4000, error: 8000 };

/** The list of visible toasts; each goes away by itself after a few seconds. */
export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  /** Shows a confirmation ("Checked in 09:12"). */
  info(text: string): void {
    this.#show('info', text);
  }

  /** Shows an error in words (an OutpostError's message). */
  error(text: string): void {
    this.#show('error', text);
  }

  /** Removes a toast now. */
  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  #show(kind: ToastKind, text: string): void {
    const id = this.#next++;
    // Newest last, at most three on screen.
    this.items = [...this.items.slice(-2), { id, kind, text }];
    setTimeout(() => this.dismiss(id), SHOWN_MS[kind]);
  }
}
