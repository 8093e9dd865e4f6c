// The isolated handler of bench/sdk-isolation.mjs: the same trivial work as the in-process one.
export default (payload) => ({ n: payload.n });
