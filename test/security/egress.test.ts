// Webhook egress policy: which addresses a webhook may reach (IPv4, IPv6, IPv4 inside IPv6), what
// configuration can allow, names resolved and checked, config validation, and Slack escaping.
import t from "tap";
import { ConfigError, loadConfig } from "../../src/config.js";
import { EgressRefused, postPinned, refusalReason, resolveTarget } from "../../src/domain/notifications/egress.js";
import { slackBody } from "../../src/domain/notifications/format.js";
import { startReceiver } from "../notifications/_receiver.js";

const DEFAULT = { allowPrivate: false, allowedCidrs: [] as string[] };

t.test("special-purpose addresses are refused by default, public ones are not", async (t) => {
  const refused = [
    "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:a9fe:a9fe", "64:ff9b::7f00:1", "2002:7f00:1::1", "::127.0.0.1",
  ];
  for (const a of refused) t.ok(refusalReason(a, DEFAULT), `${a} refused`);
  for (const a of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]) {
    t.equal(refusalReason(a, DEFAULT), null, `${a} allowed`);
  }
  t.match(refusalReason("::ffff:7f00:1", DEFAULT), /embeds 127.0.0.1/);
});

t.test("configuration allows private ranges, or exactly the listed CIDRs; never unspecified or multicast", async (t) => {
  const open = { allowPrivate: true, allowedCidrs: [] };
  for (const a of ["127.0.0.1", "10.1.1.1", "::1", "fd00::5", "::ffff:192.168.1.1"]) t.equal(refusalReason(a, open), null, `${a} with ALLOW_PRIVATE`);
  for (const a of ["0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"]) t.ok(refusalReason(a, open), `${a} still refused`);
  const listed = { allowPrivate: false, allowedCidrs: ["127.0.0.1/32", "10.20.0.0/16", "fd00::/8"] };
  for (const a of ["127.0.0.1", "10.20.3.4", "fd00::9", "::ffff:127.0.0.1"]) t.equal(refusalReason(a, listed), null, `${a} listed`);
  for (const a of ["127.0.0.2", "10.21.0.1", "fc00::1", "169.254.169.254"]) t.ok(refusalReason(a, listed), `${a} not listed`);
});

t.test("names are resolved and every address checked; only http(s)", async (t) => {
  const err = await resolveTarget(new URL("http://localhost:8080/"), DEFAULT).catch((e: unknown) => e);
  t.ok(err instanceof EgressRefused, "localhost resolves to loopback: refused");
  t.match((err as Error).message, /is a private, loopback, link-local or reserved address/);
  t.equal(((await resolveTarget(new URL("http://127.0.0.1/"), DEFAULT).catch((e: unknown) => e)) as EgressRefused).kind, "policy");
  await t.rejects(resolveTarget(new URL("file:///etc/passwd"), DEFAULT), /only http and https/);
  t.equal(((await resolveTarget(new URL("http://no-such-host.invalid/"), DEFAULT).catch((e: unknown) => e)) as EgressRefused).kind, "resolve", "an unresolvable name is not a policy refusal");
  t.same(await resolveTarget(new URL("http://127.0.0.1:9/"), { allowPrivate: false, allowedCidrs: ["127.0.0.1/32"] }), { address: "127.0.0.1", family: 4 });
  t.same(await resolveTarget(new URL("http://[::ffff:127.0.0.1]/"), { allowPrivate: true, allowedCidrs: [] }), { address: "::ffff:7f00:1", family: 6 });
});

t.test("CAPSTAN_WEBHOOK_ALLOWED_CIDRS is validated at start-up", async (t) => {
  t.same(loadConfig({ CAPSTAN_WEBHOOK_ALLOWED_CIDRS: " 127.0.0.1/32, fd00::/8 " }).webhookAllowedCidrs, ["127.0.0.1/32", "fd00::/8"]);
  t.equal(loadConfig({}).webhookAllowPrivate, false, "refused unless configured");
  for (const bad of ["127.0.0.1", "10.0.0.0/33", "example.com/8", "fd00::/129", "1.2.3.4/8/9"]) {
    t.throws(() => loadConfig({ CAPSTAN_WEBHOOK_ALLOWED_CIDRS: bad }), { name: "Error", message: /CAPSTAN_WEBHOOK_ALLOWED_CIDRS: .* is not a CIDR/ }, bad);
    t.ok((() => { try { loadConfig({ CAPSTAN_WEBHOOK_ALLOWED_CIDRS: bad }); } catch (e) { return e instanceof ConfigError; } return false; })(), `${bad}: ConfigError`);
  }
});

t.test("Slack messages escape markup from the event", async (t) => {
  const body = JSON.parse(slackBody(JSON.stringify({ type: "command.failed", timestamp: "2026-01-01T00:00:00.000Z", data: { summary: "<!channel> & <b>" } })));
  t.equal(body.text, "[Capstan] &lt;!channel&gt; &amp; &lt;b&gt;");
  t.equal(body.blocks[0].text.text, "*&lt;!channel&gt; &amp; &lt;b&gt;*");
});

t.test("the connection goes to the checked address (no second lookup), is time-limited and reads a bounded body", async (t) => {
  const rx = await startReceiver(t);
  const port = new URL(rx.url).port;
  const never = new AbortController().signal;
  // a name that cannot resolve: only the pinned address can have been used
  const res = await postPinned(new URL(`http://pinned.invalid:${port}/p`), { address: "127.0.0.1", family: 4 }, { "content-type": "application/json" }, "{}",
    { timeoutMs: 5_000, maxBytes: 16, signal: never });
  t.equal(res.status, 200);
  t.equal(rx.received[0]!.headers.host, `pinned.invalid:${port}`, "Host names the URL's host");
  rx.behave(() => ({ status: 200, body: "y".repeat(100_000) }));
  const big = await postPinned(new URL(`${rx.url}/b`), { address: "127.0.0.1", family: 4 }, {}, "{}", { timeoutMs: 5_000, maxBytes: 16, signal: never });
  t.equal(big.body, "y".repeat(16), "read stops at the bound");
  rx.behave(() => "hold");
  await t.rejects(postPinned(new URL(`${rx.url}/slow`), { address: "127.0.0.1", family: 4 }, {}, "{}", { timeoutMs: 300, maxBytes: 16, signal: never }), { message: /no answer within 0.3 s/ });
});
