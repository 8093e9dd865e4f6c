// The Messages console without JavaScript: plain form posts create a route, preview a text and list
// the messages with route, service, reply and latency; the nav shows Messages only when it is on.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { addRoute, DEMO, messagesServer, startDemo, tokenClient } from "./_kit.js";

t.setTimeout(120_000);

/** A form post as a browser without JavaScript sends it (urlencoded, the CSRF token in the body). */
async function formPost(s: { url: string }, who: { cookie?: string; csrf?: string }, path: string, fields: Record<string, string>) {
  const res = await fetch(s.url + path, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: who.cookie!, origin: s.url },
    body: new URLSearchParams({ _csrf: who.csrf!, ...fields }).toString(),
  });
  return { status: res.status, location: res.headers.get("location"), text: await res.text() };
}

t.test("create a route, preview texts and read the conversation, all with plain forms", async (t) => {
  const s = await messagesServer(t);
  const op = await s.loginAs("operator");
  await startDemo(t, s);

  const created = await formPost(s, op, "/messages/routes", { name: "status", priority: "10", serviceCode: DEMO, commandPrefix: "/status", channel: "", type: "", status: "ENABLED" });
  t.equal(created.status, 303, created.text.slice(0, 300));
  t.equal(created.location, "/messages/routes");
  const bad = await formPost(s, op, "/messages/routes", { name: "bad", serviceCode: DEMO, textPattern: "(a)\\1" });
  t.equal(bad.status, 422, "a hostile pattern comes back as the form with a message");
  t.match(bad.text, /not supported/);

  const hit = await formPost(s, op, "/messages/routes/preview", { text: "/status", channel: "http", type: "COMMAND" });
  t.equal(hit.status, 200);
  t.match(hit.text, /MATCH<\/span> Route <strong>status<\/strong>/);
  const miss = await formPost(s, op, "/messages/routes/preview", { text: "good morning", channel: "http", type: "QUERY" });
  t.match(miss.text, /NO ROUTE/);

  const chat = await tokenClient(s, ["messages"]);
  const sent = await chat.post("/api/messages", { conversationId: "room-7", sender: { id: "u-7", name: "Bea" }, type: "COMMAND", text: "/status" });
  await chat.get(`/api/messages/${sent.body.data.messageId}?wait=20`);
  const list = await op.get("/messages?conversationId=room-7");
  t.equal(list.status, 200);
  t.match(list.text, /room-7/);
  t.match(list.text, /Bea \(u-7\)/);
  t.match(list.text, /ANSWERED/);
  t.match(list.text, new RegExp(DEMO));
  t.match(list.text, /Demo Capsule Service is UP/);
  t.match(list.text, /\d+ ms|\d+\.\d s/, "latency shown");
  t.match(list.text, /href="\/messages"[^>]*>Messages</, "in the navigation");

  const routes = await op.get("/messages/routes");
  const id = /id="message-route-(mrt_[0-9A-Z]+)"/.exec(routes.text)![1]!;
  t.match(routes.text, /takes QUERY, COMMAND/, "the target's declared message support is shown");
  const off = await formPost(s, op, `/messages/routes/${id}/status`, { status: "DISABLED" });
  t.equal(off.status, 303);
  t.match((await op.get("/messages/routes")).text, /DISABLED/);
  t.equal((await formPost(s, op, `/messages/routes/${id}/delete`, {})).status, 303);
  t.notMatch((await op.get("/messages/routes")).text, new RegExp(id));
  await addRoute(op, { name: "again", match: {} }); // the API and the console share one list
  t.match((await op.get("/messages/routes")).text, /again/);
});

t.test("hidden while message routing is off", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  t.equal((await op.get("/messages")).status, 404);
  t.notMatch((await op.get("/")).text, /href="\/messages"/);
});
