// Issue 8.3: the same loop with JavaScript disabled: plain links, forms, redirects and reloads.
import t from "tap";
import { skipReason } from "./_chromium.js";
import { walkLoop } from "./_loop.js";

t.test("the same loop works with JavaScript disabled", { skip: skipReason() }, (t) => walkLoop(t, { js: false }));
