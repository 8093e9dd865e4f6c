import t from "tap";
import { startTestServer } from "../helpers.js";
import { startDemo } from "./_demo.js";
t.test("dbg", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const tok = await owner.post("/api/admin/registration-tokens", { name: "x" });
  const demo = await startDemo(t, { url: s.url, registrationToken: tok.body.data.rawToken });
  await new Promise((r) => setTimeout(r, 1000));
  const sv = await owner.get(`/api/admin/capsule-services/${demo.serviceId}`);
  console.log(JSON.stringify(sv.body.data).slice(0, 400));
  const t0 = Date.now();
  const prep = await owner.get(`/api/admin/capsule-services/${demo.serviceId}/actions/echo`);
  console.log("prepare", Date.now() - t0, prep.status, prep.text.slice(0, 300));
  console.log(demo.output()); console.log(s.logs.filter((l) => /agents/.test(l)).slice(0, 30).join("\n"));
});
