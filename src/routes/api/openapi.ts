// GET /api/openapi.json: the contract this server speaks, generated from the route table.
import { route, type AnyRoute } from "../../context.js";

export function openApiRoutes(all: () => AnyRoute[], version: string) {
  let cached: string | undefined;
  return [
    route({
      method: "GET", path: "/api/openapi.json", auth: "public", name: "getOpenApi",
      handler: async () => {
        // loaded on the first request: generating the request components from the zod schemas cost
        // every start ~10% of its CPU, for a document most processes never serve
        cached ??= JSON.stringify((await import("../../openapi/document.js")).buildOpenApi(all(), version));
        return { kind: "text", status: 200, contentType: "application/json; charset=utf-8", body: cached };
      },
    }),
  ];
}
