// / : the dashboard — counts by effective status, services needing attention, recent commands and
// audit, the 24 h chart. Refreshes itself every 10 s through htmx (the _body fragment).
import { route } from "../../context.js";
import { dashboardView } from "../../console/dashboardView.js";
import { page } from "../../console/view.js";

export const dashboardPages = [
  route({
    method: "GET", path: "/", auth: "viewer", page: true, name: "showDashboard",
    handler: async (ctx) => page(ctx, "dashboard/index", await dashboardView(ctx.app), { title: "Dashboard", nav: "dashboard", fragment: "dashboard/_body" }),
  }),
];
