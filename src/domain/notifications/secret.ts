// The endpoint's signing secret at rest: sealed with the installation's secret box, bound to the
// endpoint id (a sealed value copied to another row does not open). Shown once, at creation.
import type { App } from "../../context.js";
import type { WebhookEndpointRow } from "../../db/webhookEndpoints.js";

export const webhookSecretAad = (endpointId: string): string => `webhook:${endpointId}:secret`;

export const sealEndpointSecret = (app: Pick<App, "secretBox">, endpointId: string, secret: string): string =>
  app.secretBox.seal(secret, webhookSecretAad(endpointId));

/** The plaintext secret, or null when it cannot be opened (another key configured): the attempt fails and says why. */
export function openEndpointSecret(app: Pick<App, "secretBox">, ep: WebhookEndpointRow): string | null {
  try {
    return app.secretBox.open(ep.secretSealed, webhookSecretAad(ep.id));
  } catch {
    return null;
  }
}
