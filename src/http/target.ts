// The path and query of a request target. new URL() resolves dot segments, backslashes and
// protocol-relative targets and percent-encodes some characters; a plain target (the agent API's,
// the console's) needs none of that, and building a URL was ~1.5 % of a heartbeat's CPU.
/** Characters new URL() leaves unchanged in a path; no "%", "\\", "#", "?", whitespace or non-ASCII. */
const PLAIN_PATH = /^\/[A-Za-z0-9_~!$&'()*+,;=:@./-]*$/;

export function parseTarget(target: string): { pathname: string; searchParams: URLSearchParams } {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  // "//" would be read as a host, and a segment starting with "." may be a dot segment: leave both to URL
  if (PLAIN_PATH.test(path) && !path.includes("//") && !path.includes("/.") && !target.includes("#")) {
    return { pathname: path, searchParams: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)) };
  }
  return new URL(target, "http://localhost");
}
