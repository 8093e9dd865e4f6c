// List pages: filter forms submit every field, so empty ones are dropped before the shared query
// schema sees them; pagination links keep the current filters (shareable URLs).
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

export function pager(path: string, query: URLSearchParams, page: number, pageSize: number, total: number): Pager {
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
    next: page < pages ? link(page + 1) : null,
    range: `${first}-${Math.min(total, page * pageSize)} of ${total}`,
  };
}

/** The filter values to echo back into the form (single value per key; repeated keys joined). */
export function filterValues(query: URLSearchParams, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = query.getAll(k).join(",");
  return out;
}
