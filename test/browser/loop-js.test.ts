// Issue 8.2: the whole loop in Chromium with JavaScript on; writes the README's screenshots.
import t from "tap";
import { skipReason } from "./_chromium.js";
import { walkLoop } from "./_loop.js";

t.test("a new operator walks the whole loop with htmx live updates", { skip: skipReason() }, (t) => walkLoop(t, { js: true, screenshots: true }));
