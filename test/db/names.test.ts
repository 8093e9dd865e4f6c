// names: display names by id in one query per table, whatever the number of ids; unknown ids are absent.
import t from "tap";
import { agentCodesOf, serviceNamesOf, usernamesOf } from "../../src/db/names.js";
import { addAgentService, addUser, fileDb } from "./_seed.js";

t.test("usernames, agent codes and service names by id; unknown and empty id lists", async (t) => {
  const db = await fileDb(t);
  const alice = await addUser(db, "alice");
  const bob = await addUser(db, "bob");
  const a = await addAgentService(db);
  const users = await usernamesOf(db, [alice.id, bob.id, "usr_missing"]);
  t.same([...users.entries()].sort(), [[alice.id, "alice"], [bob.id, "bob"]].sort());
  t.same([...(await agentCodesOf(db, [a.agentId, "agt_missing"])).entries()], [[a.agentId, a.agentId]]);
  const svc = await serviceNamesOf(db, [a.serviceId]);
  t.same(svc.get(a.serviceId), { id: a.serviceId, code: a.serviceId.toLowerCase(), name: "S" });
  t.equal((await usernamesOf(db, [])).size, 0, "no ids, no query result");
  t.equal((await usernamesOf(db, ["x' OR 1=1 --"])).size, 0, "ids are bound values, never SQL");
});
