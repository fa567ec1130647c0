/**
 * Offline product search: an in-memory index of the catalogue, built once from `allDocs` over
 * the `product:` id range, then kept up to date from the changes feed (a search first compares
 * the db's update sequence, so typing in the search box does not re-read anything).
 */
import type { LocalDb } from '../db/pouch';
import { migrate } from '../domain/schema';
import { searchText, type ProductDoc } from '../domain/order';
import { toOutpostError } from '../errors';

interface Entry {
  product: ProductDoc;
  /** Normalised words of the name, SKU and category. */
  words: string[];
}

export interface ProductSearchOptions {
  /** Most results returned (default 30). */
  limit?: number;
  /** Include inactive products (default false). */
  inactive?: boolean;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const byName = (a: Entry, b: Entry) =>
  cmp(a.product.name, b.product.name) || cmp(a.product._id, b.product._id);

const asProduct = (doc: Record<string, unknown>) =>
  migrate('product', doc) as unknown as ProductDoc;

function entryOf(product: ProductDoc): Entry {
  const words = searchText(`${product.name} ${product.sku} ${product.category}`).split(' ');
  return { product, words: [...new Set(words)].filter((w) => w !== '') };
}

/** True when every query token starts some word of the entry. */
function matches(entry: Entry, tokens: string[]): boolean {
  return tokens.every((t) => entry.words.some((w) => w.startsWith(t)));
}

/** A catalogue search over one db; the index lives as long as the returned object. */
export function createCatalogueIndex(db: LocalDb) {
  let entries: Entry[] = [];
  let builtSeq: number | string | null = null;
  let pending: Promise<void> | null = null;

  async function build(): Promise<void> {
    const info = await db.info();
    const res = await db.allDocs({
      startkey: 'product:',
      endkey: 'product:\uffff',
      include_docs: true,
    });
    entries = res.rows
      .map((r) => r.doc as Record<string, unknown> | undefined)
      .filter((d): d is Record<string, unknown> => !!d && d.type === 'product')
      .map((d) => entryOf(asProduct(d)))
      .sort(byName);
    builtSeq = info.update_seq;
  }

  /**
   * Applies the product changes made since the index was built (read from the changes feed);
   * other writes only move the sequence on.
   */
  async function catchUp(): Promise<void> {
    const info = await db.info();
    if (info.update_seq === builtSeq) return;
    const changes = await db.changes({ since: builtSeq ?? 0 });
    const ids = [...new Set(changes.results.map((c) => c.id))].filter((id) =>
      id.startsWith('product:'),
    );
    if (ids.length > 0) {
      const res = await db.allDocs({ keys: ids, include_docs: true });
      const gone = new Set(ids);
      const kept = entries.filter((e) => !gone.has(e.product._id));
      for (const row of res.rows) {
        const doc = 'doc' in row ? (row.doc as Record<string, unknown> | null) : null;
        if (doc && doc.type === 'product') kept.push(entryOf(asProduct(doc)));
      }
      entries = kept.sort(byName);
    }
    builtSeq = changes.last_seq;
  }

  async function fresh(): Promise<void> {
    if (!pending) {
      pending = (async () => {
        if (builtSeq === null) await build();
        else await catchUp();
      })().finally(() => {
        pending = null;
      });
    }
    return pending;
  }

  return {
    /**
     * Products whose name, SKU or category words start with every word of the query (case and
     * accents ignored), sorted by name. An empty query lists the catalogue from the start.
     */
    async search(query: string, opts: ProductSearchOptions = {}): Promise<ProductDoc[]> {
      const limit = opts.limit ?? 30;
      try {
        await fresh();
      } catch (err) {
        throw toOutpostError(err);
      }
      const tokens = searchText(typeof query === 'string' ? query : '')
        .split(' ')
        .filter((t) => t !== '');
      const out: ProductDoc[] = [];
      for (const entry of entries) {
        if (out.length >= limit) break;
        if (!opts.inactive && !entry.product.active) continue;
        if (matches(entry, tokens)) out.push(entry.product);
      }
      return out;
    },
  };
}

export type CatalogueIndex = ReturnType<typeof createCatalogueIndex>;
