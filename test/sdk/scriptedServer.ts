// A stand-in agent API for SDK tests that need answers a real Capstan would not give on cue (a poll
// answered late, one command to one agent) or must see every request as it arrived: registration,
// heartbeat, progress and result get the usual answers, a poll whatever the test's `onPoll` does.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type AgentRequestKind = "register" | "heartbeat" | "poll" | "progress" | "result" | "other";

/** One request as the server read it. */
export interface ScriptedRequest {
  /** The agent: its code on registration, the part after `agt_` in its paths afterwards. */
  who: string;
  kind: AgentRequestKind;
  method: string;
  path: string;
  /** Header names in the order the client wrote them, lower-cased. */
  headers: string[];
  userAgent: string;
  body: unknown;
  at: number;
}

export const kindOf = (method: string, path: string): AgentRequestKind =>
  path === "/api/agents/register" ? "register"
    : /\/heartbeat$/.test(path) ? "heartbeat"
      : method === "GET" && /\/commands(\?|$)/.test(path) ? "poll"
        : /\/progress$/.test(path) ? "progress"
          : /\/result$/.test(path) ? "result" : "other";

/** A success answer in the agent API's envelope. */
export function answer(res: ServerResponse, data: unknown): void {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ success: true, data }));
}

/**
 * Registration answers agent `agt_<code>` with token `tok_<code>` and its service `svc_<code>`; every
 * request is kept in `seen` in arrival order; polls go to `onPoll`, which answers them (now, later, never).
 */
export async function scriptedAgentServer(onPoll: (r: ScriptedRequest, res: ServerResponse) => void) {
  const seen: ScriptedRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      const body = text ? JSON.parse(text) : undefined;
      const path = req.url!;
      const kind = kindOf(req.method!, path);
      const who = kind === "register" ? String(body?.agent?.code) : (/agt_([\w-]+)/.exec(path)?.[1] ?? "?");
      const headers = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      const r: ScriptedRequest = { who, kind, method: req.method!, path, headers, userAgent: String(req.headers["user-agent"]), body, at: Date.now() };
      seen.push(r);
      switch (kind) {
        case "register": {
          const code = String(body.agent.code);
          return answer(res, { agentId: `agt_${code}`, agentToken: `tok_${code}`, heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5, services: [{ code: body.service?.code ?? code, serviceId: `svc_${code}` }] });
        }
        case "heartbeat":
          return answer(res, { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 });
        case "poll":
          return onPoll(r, res);
        case "progress":
          return answer(res, { cancelRequested: false });
        default:
          return answer(res, kind === "result" ? {} : { services: [] });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close(): void {
      server.closeAllConnections();
      server.close();
    },
  };
}
