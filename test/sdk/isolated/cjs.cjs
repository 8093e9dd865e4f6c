// A CommonJS isolated handler: module.exports is the default export.
module.exports = (payload) => ({ kind: "cjs", n: payload.n });
