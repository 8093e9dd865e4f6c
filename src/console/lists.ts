// List pages: filter forms submit every field, so empty ones are dropped before the shared query
// schema sees them; pagination links keep the current filters (shareable URLs). listPage() is the
// whole chain, so list routes only say what to parse and what to list.
export function cleanQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of query) if (v.trim() !== "") out.append(k, v.trim());
  return out;
}

export interface Pager {
  page: number;
  pages: number;
  total: number;
  prev: string | null;
  next: string | null;
  /** "1-20 of 134" */
  range: string;
}

/** `capped`: counting stopped at `total` (an audit search): "of 10000+", and a full page offers a next one. */
export function pager(path: string, query: URLSearchParams, page: number, pageSize: number, total: number, capped = false, fullPage = false): Pager {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number) => {
    const q = new URLSearchParams(query);
    q.set("page", String(p));
    return `${path}?${q}`;
  };
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  return {
    page, pages, total,
    prev: page > 1 ? link(page - 1) : null,
    next: page < pages || (capped && fullPage) ? link(page + 1) : null,
    range: capped ? `${(page - 1) * pageSize + 1}-${page * pageSize} of ${total}+` : `${first}-${Math.min(total, page * pageSize)} of ${total}`,
  };
}

/** The filter values to echo back into the form (single value per key; repeated keys joined). */
export function filterValues(query: URLSearchParams, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = query.getAll(k).join(",");
  return out;
}

/** datetime-local inputs send "2026-05-01T12:00" without a zone; the console labels them UTC. */
const asUtc = (v: string): string => (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(v) ? `${v.length === 16 ? `${v}:00` : v}Z` : v);
/** ...and back into the input's own format when the filter is echoed. */
const asLocal = (v: string): string => v.replace(/:00(\.000)?Z$/, "");

type Listed<R> = { rows: R[]; total: number; totalCapped?: boolean } | { rows: R[]; pagination: { total: number } };

export interface ListPage<Q, R> {
  /** The cleaned query (what pager links and export links carry). */
  query: URLSearchParams;
  /** The parsed query. */
  qy: Q;
  rows: R[];
  pager: Pager;
  filters: Record<string, string>;
  /** Any filter set (page alone does not count): the empty state offers to clear it. */
  filtered: boolean;
}

/**
 * The chain every list page runs: drop empty filter fields, read datetime-local fields as UTC, parse
 * with the shared query schema (unknown params are a 422), list, then the pager and the filter values
 * to echo back into the form.
 */
export async function listPage<Q extends { page: number; pageSize: number }, R>(
  raw: URLSearchParams,
  opts: {
    path: string;
    parse: (query: URLSearchParams) => Q;
    list: (qy: Q) => Promise<Listed<R>>;
    filterKeys?: readonly string[];
    /** Filter keys that are datetime-local inputs. */
    timeKeys?: readonly string[];
  },
): Promise<ListPage<Q, R>> {
  const query = cleanQuery(raw);
  for (const k of opts.timeKeys ?? []) if (query.has(k)) query.set(k, asUtc(query.get(k)!));
  const qy = opts.parse(query);
  const listed = await opts.list(qy);
  const total = "total" in listed ? listed.total : listed.pagination.total;
  const filters = filterValues(query, opts.filterKeys ?? []);
  for (const k of opts.timeKeys ?? []) if (filters[k] !== undefined) filters[k] = asLocal(filters[k]!);
  return {
    query, qy, rows: listed.rows, filters,
    pager: pager(opts.path, query, qy.page, qy.pageSize, total, "totalCapped" in listed && listed.totalCapped === true, listed.rows.length === qy.pageSize),
    filtered: [...query.keys()].some((k) => k !== "page"),
  };
}
