// What a service declared about messages in its manifest (`message.supportedTypes`): the one check
// that keeps messages away from services that did not ask for them.
import { MESSAGE_TYPES, type MessageType } from "../../vocabulary.js";

export function declaredMessageTypes(manifest: Record<string, unknown>): MessageType[] {
  const m = manifest.message;
  if (!m || typeof m !== "object" || Array.isArray(m)) return [];
  const types = (m as { supportedTypes?: unknown }).supportedTypes;
  if (!Array.isArray(types)) return [];
  return MESSAGE_TYPES.filter((t) => types.includes(t));
}

export const acceptsMessageType = (manifest: Record<string, unknown>, type: MessageType): boolean => declaredMessageTypes(manifest).includes(type);
