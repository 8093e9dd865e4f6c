// Redaction rules shared by the server and the SDK: whole-word keys, secret-looking values.
import t from "tap";
import { isSecretKey, redact, REDACTED } from "../src/domain/redact.js";

const rows: [string, boolean][] = [
  ["password", true], ["DB_PASSWORD", true], ["accessToken", true], ["access_token", true], ["apiKey", true],
  ["api_key", true], ["API-KEY", true], ["Authorization", true], ["set-cookie", true], ["privateKey", true],
  ["clientSecret", true], ["credentials", true], ["maxTokens", false], ["tokenizer", false], ["keyName", false],
  ["secretary", false], ["monkey", false], ["passwordless_login_enabled", false], ["name", false],
];
for (const [key, secret] of rows) t.equal(isSecretKey(key), secret, `${key} -> ${secret ? "secret" : "kept"}`);

t.test("deep values and secret-looking strings", async (t) => {
  const out = redact({
    nested: { deeper: [{ token: "abc", maxTokens: 4096 }] },
    note: "use opstage_agent_0123456789abcdefghij please",
    header: "Bearer abcdefghijklmnop",
    empty: { password: "" },
  });
  t.same(out.nested.deeper[0], { token: REDACTED, maxTokens: 4096 });
  t.equal(out.note, `use opstage_agent_${REDACTED} please`);
  t.equal(out.header, `Bearer ${REDACTED}`);
  t.equal(out.empty.password, "", "empty values stay empty: nothing to hide");
});

t.test("one implementation, two depths: the server keeps 64 levels, the SDK's log redaction 16", async (t) => {
  const { redact: sdkRedact } = await import("../sdk/src/redact.js");
  const nest = (levels: number): unknown => (levels === 0 ? "leaf" : { n: nest(levels - 1) });
  const leafAt = (v: unknown, levels: number): unknown => (levels === 0 ? v : leafAt((v as { n: unknown }).n, levels - 1));
  t.equal(leafAt(redact(nest(40)), 40), "leaf", "server: 40 levels kept");
  t.equal(leafAt(redact(nest(70)), 65), REDACTED, "server: past 64 levels redacted");
  t.equal(leafAt(sdkRedact(nest(40)), 17), REDACTED, "SDK logger: past 16 levels redacted");
  t.same(sdkRedact({ apiKey: "abcdefgh", note: "x" }), redact({ apiKey: "abcdefgh", note: "x" }), "same rules");
});
