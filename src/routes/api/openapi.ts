// GET /api/openapi.json: the contract this server speaks, generated from the route table.
import { route, type AnyRoute } from "../../context.js";
import { buildOpenApi } from "../../openapi/document.js";

export function openApiRoutes(all: () => AnyRoute[], version: string) {
  let cached: string | undefined;
  return [
    route({
      method: "GET", path: "/api/openapi.json", auth: "public", name: "getOpenApi",
      handler: () => ({ kind: "text", status: 200, contentType: "application/json; charset=utf-8", body: (cached ??= JSON.stringify(buildOpenApi(all(), version))) }),
    }),
  ];
}
