// /packages: the catalog console (works without JavaScript). The list with search (name, tag,
// capability) and a runtime filter, and, for operators, the publish form (a capsule.json pasted
// in); the package page with versions, the sanitised readme, what the version declares and where
// it runs. A scoped name is shown at /packages/scope/name (the %2F form answers too).
import { route, type Ctx } from "../../context.js";
import { publishPackage } from "../../domain/packages/publish.js";
import { knownRuntimes, listPackagesPage, packageDetail } from "../../domain/packages/queries.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { parseQuery } from "../../schemas/common.js";
import { packageDigest } from "../../schemas/packageDescriptor.js";
import { LIST_PACKAGES_ARRAYS, ListPackagesQuery } from "../../schemas/packages.js";
import { packageHref, packagePageView, packageRowView } from "../../console/packageView.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, field, readForm, submitForm, type FormState } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { page } from "../../console/view.js";

async function listView(ctx: Ctx<unknown>, form: FormState, status = 200): Promise<Reply> {
  const l = await listPage(ctx.query, {
    path: "/packages", filterKeys: ["q", "runtime"],
    parse: (q) => parseQuery(q, ListPackagesQuery, LIST_PACKAGES_ARRAYS),
    list: (qy) => listPackagesPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
  });
  return page(ctx, "packages/index", {
    rows: l.rows.map(packageRowView), pager: l.pager, filters: l.filters, filtered: l.filtered, runtimes: await knownRuntimes(ctx.app), form,
  }, { title: "Packages", nav: "packages", status });
}

async function showView(ctx: Ctx<unknown>, name: string): Promise<Reply> {
  const { version } = parseQuery(ctx.query, { version: ListPackagesQuery.q.optional() });
  const p = await packageDetail(ctx.app, name);
  return page(ctx, "packages/show", { pkg: packagePageView(ctx.app, p, version) }, { title: p.name, nav: "packages" });
}

/** The pasted descriptor as JSON; not JSON is a field error on the form. */
function descriptorOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError("VALIDATION_FAILED", "the descriptor is not JSON", { issues: [{ path: "descriptor", message: err instanceof Error ? err.message : "not JSON" }] });
  }
}

export const packagePages = [
  route({
    method: "GET", path: "/packages", auth: "viewer", page: true, name: "listPackagesPage", query: true,
    handler: (ctx) => listView(ctx, blankForm()),
  }),
  route({
    method: "POST", path: "/packages", auth: "operator", page: true, name: "publishPackagePage",
    handler: async (ctx) => {
      const form = await readForm(ctx);
      const values = { descriptor: field(form, "descriptor"), digest: field(form, "digest").trim() };
      try {
        return await submitForm(values, async () => {
          const digest = values.digest ? packageDigest.parse(values.digest) : undefined;
          const v = await publishPackage(ctx.app, { userId: ctx.admin!.userId, username: ctx.admin!.username }, descriptorOf(values.descriptor), digest, ctx.requestId);
          setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `${v.packageName}@${v.version} published; it waits for an owner's approval.` });
          return redirect(packageHref(v.packageName));
        }, (f, status) => listView(ctx, f, status));
      } catch (err) {
        // a duplicate version or a digest conflict is about the whole form: shown there, with its 409
        if (err instanceof AppError && err.status === 409) return listView(ctx, { values, errors: {}, message: `${err.code}: ${err.message}` }, 409);
        throw err;
      }
    },
  }),
  route({
    method: "GET", path: "/packages/:name", auth: "viewer", page: true, name: "showPackagePage", query: true,
    handler: (ctx) => showView(ctx, ctx.params.name),
  }),
  route({
    method: "GET", path: "/packages/:scope/:pkg", auth: "viewer", page: true, name: "showScopedPackagePage", query: true,
    handler: (ctx) => showView(ctx, `${ctx.params.scope}/${ctx.params.pkg}`),
  }),
];
