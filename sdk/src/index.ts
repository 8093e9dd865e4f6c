// capstan-agent: the Node Agent SDK for Capstan Capsule Services.
export { CapsuleAgent } from "./agent.js";
export { AgentAuthError, CapstanError, NetworkError, RegistrationError } from "./errors.js";
export { FileTokenStore, MemoryTokenStore } from "./tokenStore.js";
export { VERSION } from "./http.js";
export type * from "./types.js";
