// A small typed router: patterns like /api/agents/:agentId compile to RegExps with named groups;
// match() is a linear scan. HEAD uses GET routes; a path known under another method gives 405.
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

export class Router<T> {
  private readonly routes: Compiled<T>[] = [];

  add(method: Method, pattern: string, value: T): this {
    const source = pattern
      .split("/")
      .map((seg) => (seg.startsWith(":") ? `(?<${seg.slice(1)}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}$`), value });
    return this;
  }

  match(method: string, path: string): MatchResult<T> {
    const wanted = method === "HEAD" ? "GET" : method;
    const allow = new Set<Method>();
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== wanted) {
        allow.add(route.method);
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
    return allow.size ? { kind: "method-not-allowed", allow: [...allow] } : { kind: "not-found" };
  }
}
