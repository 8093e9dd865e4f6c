// A small typed router: patterns like /api/agents/:agentId compile to RegExps with named groups;
// match() scans, in table order, only the routes that can match the path's first two segments (the
// whole table was ~60 RegExps before the agent API). HEAD uses GET routes; a path known under another
// method gives 405.
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Infers { agentId: string } from "/api/agents/:agentId/heartbeat". */
export type Params<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & Params<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>;

interface Compiled<T> {
  method: Method;
  pattern: string;
  regex: RegExp;
  value: T;
}

export type MatchResult<T> =
  | { kind: "found"; value: T; params: Record<string, string>; pattern: string }
  | { kind: "method-not-allowed"; allow: Method[] }
  | { kind: "bad-param" }
  | { kind: "not-found" };

/** The first two segments of a path ("api/agents" for /api/agents/x/heartbeat): the bucket key. */
function bucketKey(path: string): string {
  const second = path.indexOf("/", 1);
  if (second < 0) return path.slice(1);
  const third = path.indexOf("/", second + 1);
  return path.slice(1, third < 0 ? undefined : third);
}

export class Router<T> {
  private readonly routes: Compiled<T>[] = [];
  /** Routes whose first two segments are literal, by key; routes with a parameter there can match any path. */
  private readonly literal = new Map<string, Compiled<T>[]>();
  private readonly anyPath: Compiled<T>[] = [];
  /** Per key: its literal routes and the any-path ones, merged in table order (built on first use). */
  private readonly buckets = new Map<string, Compiled<T>[]>();

  add(method: Method, pattern: string, value: T): this {
    const source = pattern
      .split("/")
      .map((seg) => (seg.startsWith(":") ? `(?<${seg.slice(1)}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    const route = { method, pattern, regex: new RegExp(`^${source}$`), value };
    this.routes.push(route);
    const key = bucketKey(pattern);
    if (key.includes(":")) this.anyPath.push(route);
    else this.literal.set(key, [...(this.literal.get(key) ?? []), route]);
    this.buckets.clear();
    return this;
  }

  private candidates(path: string): Compiled<T>[] {
    const key = bucketKey(path);
    const own = this.literal.get(key);
    if (!own) return this.anyPath; // keys come from clients: only known ones are kept
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const members = new Set([...own, ...this.anyPath]);
      bucket = this.routes.filter((r) => members.has(r));
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  match(method: string, path: string): MatchResult<T> {
    const wanted = method === "HEAD" ? "GET" : method;
    let allow: Set<Method> | undefined;
    for (const route of this.candidates(path)) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== wanted) {
        (allow ??= new Set()).add(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      try {
        for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      } catch {
        return { kind: "bad-param" };
      }
      return { kind: "found", value: route.value, params, pattern: route.pattern };
    }
    return allow ? { kind: "method-not-allowed", allow: [...allow] } : { kind: "not-found" };
  }
}
