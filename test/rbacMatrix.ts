// The one source of truth for who may call what: the expected answer of every route for every kind
// of caller, written out by hand so that a change of a route's declared auth (or a new route) cannot
// pass unnoticed. Both RBAC suites read it: test/reliability/rbac.test.ts requests every cell and
// compares the status; test/api/rbac.test.ts walks the route table, checks that every route has a
// row whose callers (`whoMayCall`) match the route's declared auth, and tries every role by session
// and by API token.
//
// How each cell is requested (test/reliability/rbac.test.ts): ids in admin paths are well-formed but
// unknown (so an allowed call answers 404 instead of changing anything), agent paths name agent A,
// bodies are `{}`. So an allowed cell reads 200 (lists), 404 (unknown id) or 422 (empty body).
// Cells worth a second look: page routes send an anonymous GET to /login (303) and refuse other
// calls with an HTML 401/403; GET /login itself sends a logged-in caller on (303), and any bad
// bearer token back to /login (303); GET /api/admin/auth/csrf is 400 for an API token (no cookie
// session, no CSRF); GET /metrics runs with CAPSTAN_METRICS=token, so only a live API token reads it;
// console POST /users/:userId/password answers bad input with 303 + flash (post/redirect/get).
export const COLUMNS = [
  "anon", // no credentials at all
  "viewer", // cookie session + CSRF header
  "operator",
  "owner",
  "apiToken", // an operator's personal API token (acts with the operator role, no CSRF)
  "revokedApiToken", // an owner's API token after DELETE /api/admin/api-tokens/:id
  "agent", // agent A's own token
  "otherAgent", // agent B's token on agent A's paths
  "revokedAgent", // the token of agent C after the agent was revoked
] as const;

export type Column = (typeof COLUMNS)[number];

/** `METHOD path` -> expected HTTP status per column, in COLUMNS order. */
export const RBAC_MATRIX: Record<string, readonly number[]> = {
  //                                                                  anon view oper ownr  pat rPat agnt othr rAgt
  "GET /api/system/health":                                           [200, 200, 200, 200, 200, 200, 200, 200, 200],
  "GET /api/system/version":                                          [200, 200, 200, 200, 200, 200, 200, 200, 200],
  "GET /healthz":                                                     [200, 200, 200, 200, 200, 200, 200, 200, 200],
  "GET /readyz":                                                      [200, 200, 200, 200, 200, 200, 200, 200, 200],
  "GET /api/openapi.json":                                            [200, 200, 200, 200, 200, 200, 200, 200, 200],
  "POST /api/admin/auth/login":                                       [422, 422, 422, 422, 422, 422, 422, 422, 422],
  "POST /api/admin/auth/logout":                                      [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/auth/me":                                           [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/auth/csrf":                                         [401, 200, 200, 200, 400, 401, 401, 401, 401],
  "GET /api/admin/users":                                             [401, 403, 403, 200, 403, 401, 401, 401, 401],
  "POST /api/admin/users":                                            [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /api/admin/users/:userId":                                     [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "PATCH /api/admin/users/:userId":                                   [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "POST /api/admin/users/:userId/reset-password":                     [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /api/admin/api-tokens":                                        [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/api-tokens":                                       [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "DELETE /api/admin/api-tokens/:tokenId":                            [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/audit-events":                                      [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/audit-events/export":                               [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/audit-events/:auditEventId":                        [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/dashboard/summary":                                 [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/maintenance/run":                                  [401, 403, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/backup":                                           [401, 403, 403, 200, 403, 401, 401, 401, 401],
  "POST /api/admin/backup/sqlite":                                    [401, 403, 403, 200, 403, 401, 401, 401, 401],
  "GET /api/admin/metrics":                                           [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/diagnostics":                                       [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/diagnostics/runtime":                               [401, 403, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/settings/maintenance":                              [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "PATCH /api/admin/settings/maintenance":                            [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /metrics":                                                     [401, 401, 401, 401, 200, 401, 401, 401, 401],
  "POST /api/agents/register":                                        [422, 422, 422, 422, 422, 422, 422, 422, 422],
  "POST /api/agents/:agentId/heartbeat":                              [401, 401, 401, 401, 401, 401, 200, 403, 401],
  "POST /api/agents/:agentId/services/report":                        [401, 401, 401, 401, 401, 401, 422, 403, 401],
  "GET /api/admin/agents":                                            [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/agents/:agentId":                                   [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/agents/:agentId/disable":                          [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/agents/:agentId/enable":                           [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/agents/:agentId/revoke":                           [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/registration-tokens":                              [401, 403, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/registration-tokens":                               [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/registration-tokens/:tokenId/revoke":              [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "DELETE /api/admin/registration-tokens/:tokenId":                   [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/capsule-services":                                  [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/capsule-services/:serviceId":                       [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/capsule-services/:serviceId/manifest":              [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/capsule-services/:serviceId/health":                [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/capsule-services/:serviceId/configs":               [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/capsule-services/:serviceId/actions":               [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/capsule-services/:serviceId/release":              [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/agents/:agentId/commands":                                [401, 401, 401, 401, 401, 401, 200, 403, 401],
  "POST /api/agents/:agentId/commands/:commandId/progress":           [401, 401, 401, 401, 401, 401, 404, 403, 401],
  "POST /api/agents/:agentId/commands/:commandId/result":             [401, 401, 401, 401, 401, 401, 422, 403, 401],
  "GET /api/admin/capsule-services/:serviceId/actions/:actionName":   [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/capsule-services/:serviceId/actions/:actionName":  [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/commands":                                          [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/commands/:commandId":                               [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/commands/:commandId/logs":                          [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/commands/:commandId/cancel":                       [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/commands/:commandId/retry":                        [401, 403, 404, 404, 404, 401, 401, 401, 401],
  // four-eyes approvals: viewers read; operators and owners review; owners set policies
  "GET /api/admin/approvals":                                         [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/approvals/:approvalId":                             [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/approvals/:approvalId/approve":                    [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/approvals/:approvalId/reject":                     [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "POST /api/admin/approvals/:approvalId/cancel":                     [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/approval-policies":                                 [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/approval-policies":                                [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "DELETE /api/admin/approval-policies/:policyId":                    [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /approvals":                                                   [303, 200, 200, 200, 200, 303, 303, 303, 303],
  // package install requests: operators ask (owners decide via the approvals routes); viewers read
  "POST /api/admin/package-installs":                                 [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/admin/package-installs":                                  [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/admin/package-installs/:installId":                       [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /approvals/:approvalId":                                       [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "POST /approvals/:approvalId/approve":                              [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /approvals/:approvalId/reject":                               [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /approvals/:approvalId/cancel":                               [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /approval-policies":                                           [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "POST /approval-policies":                                          [401, 403, 403, 303, 403, 401, 401, 401, 401],
  "POST /approval-policies/:policyId/delete":                         [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /static/:file":                                                [404, 404, 404, 404, 404, 404, 404, 404, 404],
  "GET /static/vendor/:file":                                         [404, 404, 404, 404, 404, 404, 404, 404, 404],
  "GET /favicon.ico":                                                 [302, 302, 302, 302, 302, 302, 302, 302, 302],
  "GET /login":                                                       [200, 303, 303, 303, 303, 303, 303, 303, 303],
  "POST /login":                                                      [422, 422, 422, 422, 422, 422, 422, 422, 422],
  "POST /logout":                                                     [401, 303, 303, 303, 303, 401, 401, 401, 401],
  "GET /":                                                            [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /agents":                                                      [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /agents/:agentId":                                             [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "GET /agents/:agentId/:op":                                         [303, 403, 404, 404, 404, 303, 303, 303, 303],
  "POST /agents/:agentId/reenrol":                                    [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /agents/:agentId/:op":                                        [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /tokens":                                                      [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "POST /tokens":                                                     [401, 403, 303, 303, 303, 401, 401, 401, 401],
  "POST /tokens/:tokenId/revoke":                                     [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /services/:serviceId/actions/:actionName":                     [303, 403, 404, 404, 404, 303, 303, 303, 303],
  "POST /services/:serviceId/actions/:actionName":                    [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /services":                                                    [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /services/:serviceId":                                         [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "GET /services/:serviceId/:tab":                                    [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "POST /services/:serviceId/release":                                [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /services/:serviceId/package-install":                        [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /commands":                                                    [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /commands/:commandId":                                         [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "POST /commands/:commandId/cancel":                                 [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /commands/:commandId/retry":                                  [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /audit":                                                       [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /users":                                                       [303, 403, 403, 200, 403, 303, 303, 303, 303],
  "POST /users":                                                      [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "POST /users/:userId":                                              [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "POST /users/:userId/password":                                     [401, 403, 403, 303, 403, 401, 401, 401, 401],
  "GET /notifications":                                               [303, 403, 403, 200, 403, 303, 303, 303, 303],
  "POST /notifications":                                              [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /notifications/:webhookId":                                    [303, 403, 403, 404, 403, 303, 303, 303, 303],
  "POST /notifications/:webhookId":                                   [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /notifications/:webhookId/test":                              [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /notifications/:webhookId/delete":                            [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /notifications/deliveries/:deliveryId/redeliver":             [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /settings":                                                    [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "POST /settings/maintenance":                                       [401, 403, 303, 303, 303, 401, 401, 401, 401],
  "POST /settings/backup":                                            [401, 403, 403, 200, 403, 401, 401, 401, 401],
  "POST /settings/api-tokens":                                        [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "POST /settings/api-tokens/:tokenId/revoke":                        [401, 404, 404, 404, 404, 401, 401, 401, 401],
  // Capsule Bus (the test runs with CAPSTAN_BUS_ENABLED=true): viewers read, operators manage routes
  "POST /api/agents/:agentId/bus/events":                             [401, 401, 401, 401, 401, 401, 422, 403, 401],
  "GET /api/admin/bus/routes":                                        [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/bus/routes":                                       [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "POST /api/admin/bus/routes/preview":                               [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/admin/bus/routes/:routeId":                               [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "PATCH /api/admin/bus/routes/:routeId":                             [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "PUT /api/admin/bus/routes/:routeId":                               [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "DELETE /api/admin/bus/routes/:routeId":                            [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/bus/events":                                        [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/bus/events/:eventId":                               [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/bus/audit":                                         [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/webhooks":                                          [401, 403, 403, 200, 403, 401, 401, 401, 401],
  "POST /api/admin/webhooks":                                         [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /api/admin/webhooks/:webhookId":                               [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "PATCH /api/admin/webhooks/:webhookId":                             [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "DELETE /api/admin/webhooks/:webhookId":                            [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /api/admin/webhooks/:webhookId/test":                         [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /api/admin/webhooks/:webhookId/deliveries":                    [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /api/admin/webhooks/deliveries/:deliveryId/redeliver":        [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /bus/routes":                                                  [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /bus/routes/new":                                              [303, 403, 200, 200, 200, 303, 303, 303, 303],
  "POST /bus/routes":                                                 [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "POST /bus/routes/preview":                                         [401, 403, 200, 200, 200, 401, 401, 401, 401],
  "GET /bus/routes/:routeId":                                         [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "POST /bus/routes/:routeId":                                        [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /bus/routes/:routeId/status":                                 [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /bus/routes/:routeId/delete":                                 [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /bus/events":                                                  [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /bus/events/:eventId":                                         [303, 404, 404, 404, 404, 303, 303, 303, 303],
  // Message routing (CAPSTAN_MESSAGES_ENABLED=true): any role sends messages (scope "messages"), operators manage routes, owners the Telegram channel
  "POST /api/messages":                                               [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/messages/:messageId":                                     [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/message-routes":                                    [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/message-routes":                                   [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "POST /api/admin/message-routes/preview":                           [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/admin/message-routes/:routeId":                           [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "PATCH /api/admin/message-routes/:routeId":                         [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "DELETE /api/admin/message-routes/:routeId":                        [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/messages":                                          [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /api/admin/channels/telegram":                                 [401, 403, 200, 200, 200, 401, 401, 401, 401],
  "PUT /api/admin/channels/telegram":                                 [401, 403, 403, 422, 403, 401, 401, 401, 401],
  "GET /messages":                                                    [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "GET /messages/routes":                                             [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "POST /messages/routes":                                            [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "POST /messages/routes/preview":                                    [401, 422, 422, 422, 422, 401, 401, 401, 401],
  "POST /messages/routes/:routeId/status":                            [401, 403, 404, 404, 404, 401, 401, 401, 401],
  "POST /messages/routes/:routeId/delete":                            [401, 403, 404, 404, 404, 401, 401, 401, 401],
  // Packages (catalog): viewers read; operators (and CI tokens) publish; owners yank and deprecate
  "GET /api/admin/packages":                                          [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "POST /api/admin/packages":                                         [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "GET /api/admin/packages/:name":                                    [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /api/admin/packages/:scope/:pkg":                              [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "POST /api/admin/packages/:name/versions/:version/yank":            [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /api/admin/packages/:name/versions/:version/unyank":          [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "POST /api/admin/packages/:name/versions/:version/deprecate":       [401, 403, 403, 404, 403, 401, 401, 401, 401],
  "GET /packages":                                                    [303, 200, 200, 200, 200, 303, 303, 303, 303],
  "POST /packages":                                                   [401, 403, 422, 422, 422, 401, 401, 401, 401],
  "GET /packages/:name":                                              [303, 404, 404, 404, 404, 303, 303, 303, 303],
  "GET /packages/:scope/:pkg":                                        [303, 404, 404, 404, 404, 303, 303, 303, 303],
  // the registry: any session or API token (public with CAPSTAN_REGISTRY_PUBLIC=true, off here)
  "GET /registry/v1/index.json":                                      [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /registry/v1/keys":                                            [401, 200, 200, 200, 200, 401, 401, 401, 401],
  "GET /registry/v1/packages/:name":                                  [401, 404, 404, 404, 404, 401, 401, 401, 401],
  "GET /registry/v1/packages/:scope/:pkg":                            [401, 404, 404, 404, 404, 401, 401, 401, 401],
};

/** The auth-layer refusals; anything else (200, 404, 422, a 303 after a form post, ...) got past auth. */
const REFUSED = new Set([401, 403]);
/** Public in the route table, but the handler asks for an API token (CAPSTAN_METRICS=token). */
const HANDLER_GATED: Record<string, "public"> = {
  "GET /metrics": "public",
  // public in the route table; the handler asks for a session or API token unless CAPSTAN_REGISTRY_PUBLIC=true
  "GET /registry/v1/index.json": "public", "GET /registry/v1/keys": "public",
  "GET /registry/v1/packages/:name": "public", "GET /registry/v1/packages/:scope/:pkg": "public",
};
const ROLES = ["viewer", "operator", "owner"] as const;

/**
 * Who may call a route according to its row: "public" (callers without credentials get through),
 * "agent" (only agent tokens), or the least role whose session gets through. Throws when the row is
 * not monotonic (a role refused where a lower one is allowed), which no route declaration can give.
 */
export function whoMayCall(key: string): "public" | "agent" | (typeof ROLES)[number] {
  const row = RBAC_MATRIX[key];
  if (!row) throw new Error(`no matrix row for ${key}`);
  if (HANDLER_GATED[key]) return HANDLER_GATED[key];
  const at = (c: Column) => row[COLUMNS.indexOf(c)]!;
  // a console page sends an anonymous caller to /login (303): refused too
  const anonRefused = REFUSED.has(at("anon")) || at("anon") === 303;
  if (!anonRefused) return "public";
  const allowed = ROLES.map((r) => !REFUSED.has(at(r)));
  if (!allowed.some(Boolean)) {
    if (!REFUSED.has(at("agent"))) return "agent";
    throw new Error(`${key}: nobody may call it`);
  }
  const least = allowed.indexOf(true);
  if (allowed.slice(least).some((a) => !a)) throw new Error(`${key}: ${ROLES.join("/")} not monotonic: ${allowed.join(", ")}`);
  return ROLES[least]!;
}
