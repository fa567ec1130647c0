/**
 * The inbox sentences of the order rule (src/lib/conflicts/rules.ts). Stored in audit docs that
 * every replica writes byte for byte the same, so nothing here depends on the device.
 */

/** What the order rule decided, for the sentence. */
export interface OrderFacts {
  /** Number of live leaves. */
  leafCount: number;
  /** A submitted version was kept. */
  submitted: boolean;
  /** Submitted versions with different content existed. */
  submittedClash: boolean;
  /** Draft changes newer than the kept submitted version were dropped. */
  draftEditsDropped: boolean;
  /** Drafts: number of lines on the merged order. */
  lineCount: number;
  /** Some version's content differs from what was kept. */
  anyLoser: boolean;
}

/** The one sentence for an order conflict. */
export function explainOrder(f: OrderFacts): string {
  const tail = f.leafCount > 2 ? `all ${f.leafCount} versions` : 'both versions';
  if (f.submittedClash) {
    return `This order was submitted in different versions; kept the one submitted first, please check - ${tail} are in the inbox.`;
  }
  if (f.draftEditsDropped) {
    return `This order was submitted on one device while its draft was changed on another; kept the submitted order, please check - ${tail} are in the inbox.`;
  }
  if (f.submitted) {
    return f.anyLoser
      ? 'Kept the submitted order; the older draft is in the inbox.'
      : 'The copies of this order were the same; kept one.';
  }
  if (!f.anyLoser) return 'Both versions of this draft order held the same content; kept one.';
  const lines = f.lineCount === 1 ? '1 line' : `${f.lineCount} lines`;
  return `Combined the draft order line by line, keeping the newest change to each line (${lines}) and recomputing the totals - ${tail} are in the inbox.`;
}
