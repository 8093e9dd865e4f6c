// Which route a message goes to: the first ENABLED route (by priority) whose every condition holds.
// Pure, except for the route list. Patterns are operator input and run on RE2 (linear time, no
// backtracking) under a regex budget, so neither a route nor a long message can stall the event loop.
import type { App } from "../../context.js";
import { enabledMessageRoutes, type MessageRouteMatch, type MessageRouteRow } from "../../db/messageRoutes.js";
import { AppError } from "../../errors.js";
import type { MessageChannel, MessageType } from "../../vocabulary.js";
import { patternProblem, RegexBudgetExceeded, safeRegExp, withRegexBudget, type SafeRegExp } from "../commands/safeRegex.js";
import { ROUTE_PATTERN_MAX } from "../../schemas/messages.js";

export interface MatchInput {
  channel: MessageChannel;
  type: MessageType;
  text: string;
  senderId?: string | undefined;
  conversationId?: string | undefined;
}

/** Regex work allowed for matching one message against every route (characters scanned + per-call cost). */
const MATCH_BUDGET = 2_000_000;

/** "/status@my_bot args" -> "/status": the command word as Telegram clients send it, lower-cased. */
export function commandWord(text: string): string | null {
  const m = /^\/([A-Za-z0-9_]{1,64})(?:@[A-Za-z0-9_]{1,64})?(?:\s|$)/.exec(text.trimStart());
  return m ? `/${m[1]!.toLowerCase()}` : null;
}

/** Refuses a pattern RE2 cannot run (backreferences, lookaround) or one over the size cap, as 422. */
export function assertPattern(pattern: string | undefined): void {
  if (pattern === undefined) return;
  const problem = pattern.length > ROUTE_PATTERN_MAX ? `pattern is ${pattern.length} characters; the limit is ${ROUTE_PATTERN_MAX}` : patternProblem(pattern);
  if (problem) throw new AppError("VALIDATION_FAILED", problem, { issues: [{ path: "match.textPattern", message: problem }] });
}

function compiled(pattern: string, cache: Map<string, SafeRegExp | null>): SafeRegExp | null {
  if (!cache.has(pattern)) {
    try {
      cache.set(pattern, safeRegExp(pattern, true));
    } catch {
      cache.set(pattern, null); // stored before a check existed, or edited by hand: never matches
    }
  }
  return cache.get(pattern)!;
}

export function routeMatches(m: MessageRouteMatch, input: MatchInput, cache = new Map<string, SafeRegExp | null>()): boolean {
  if (m.channel && m.channel !== input.channel) return false;
  if (m.type && m.type !== input.type) return false;
  if (m.commandPrefix && commandWord(input.text) !== m.commandPrefix.toLowerCase()) return false;
  if (m.textPrefix && !input.text.trimStart().toLowerCase().startsWith(m.textPrefix.toLowerCase())) return false;
  if (m.senders?.length && (!input.senderId || !m.senders.includes(input.senderId))) return false;
  if (m.conversations?.length && (!input.conversationId || !m.conversations.includes(input.conversationId))) return false;
  if (m.textPattern) {
    const re = compiled(m.textPattern, cache);
    if (!re || !re.test(input.text)) return false;
  }
  return true;
}

/** The first matching route of `routes` (already in priority order), or null. A message over the regex budget matches nothing further. */
export function firstMatch(routes: MessageRouteRow[], input: MatchInput): MessageRouteRow | null {
  const cache = new Map<string, SafeRegExp | null>();
  try {
    return withRegexBudget(MATCH_BUDGET, () => routes.find((r) => routeMatches(r.match, input, cache)) ?? null);
  } catch (err) {
    if (err instanceof RegexBudgetExceeded) return null;
    throw err;
  }
}

export async function findRoute(app: App, input: MatchInput): Promise<MessageRouteRow | null> {
  return firstMatch(await enabledMessageRoutes(app.db), input);
}
