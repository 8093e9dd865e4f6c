// src/secrets/secretBox.ts: AES-256-GCM envelopes bound to a purpose and owner.
import t, { type Test } from "tap";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { commandAad, keyIdOf, SecretBox, SecretBoxError } from "../../src/secrets/secretBox.js";

const key = Buffer.alloc(32, 7);
const box = new SecretBox(key);
const AAD = commandAad("cmd_01HXYZ", "secrets");

const fails = (t: Test, fn: () => unknown, reason: string, what: string) => {
  try {
    fn();
    t.fail(`${what}: opened`);
  } catch (err) {
    t.ok(err instanceof SecretBoxError, `${what}: SecretBoxError`);
    t.equal((err as SecretBoxError).reason, reason, what);
  }
};

t.test("round trip: empty, unicode, large; a fresh IV every time", async (t) => {
  for (const p of ["", "hunter2", '{"/password":"pä55 wörd ✓ 🔑"}', "x".repeat(1_000_000)]) t.equal(box.open(box.seal(p, AAD), AAD), p);
  const a = box.seal("same", AAD);
  const b = box.seal("same", AAD);
  t.not(a, b, "same plaintext, different envelopes");
  const parts = a.split(".");
  t.equal(parts.length, 5);
  t.equal(parts[0], "v1");
  t.equal(parts[1], keyIdOf(key));
  t.equal(Buffer.from(parts[2]!, "base64url").length, 12, "96-bit IV");
  t.equal(Buffer.from(parts[3]!, "base64url").length, 16, "128-bit tag");
  t.notMatch(a, /same/);
});

t.test("any altered byte of iv, tag or ciphertext fails to open", async (t) => {
  const env = box.seal("the secret value", AAD);
  const parts = env.split(".");
  for (const idx of [2, 3, 4]) {
    const bytes = Buffer.from(parts[idx]!, "base64url");
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = changed[i]! ^ 0x01;
      const forged = [...parts];
      forged[idx] = changed.toString("base64url");
      t.throws(() => box.open(forged.join("."), AAD), SecretBoxError, `part ${idx} byte ${i}`);
    }
  }
});

t.test("any altered character of the envelope fails (no lenient base64 decoding)", async (t) => {
  const env = box.seal("abc", AAD);
  let opened = 0;
  for (let i = 0; i < env.length; i++) {
    for (const c of ["A", "B", "_", "=", " ", "."]) {
      if (env[i] === c) continue;
      const forged = env.slice(0, i) + c + env.slice(i + 1);
      try {
        box.open(forged, AAD);
        opened++;
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
      }
    }
  }
  t.equal(opened, 0, "no one-character change opens");
  fails(t, () => box.open(env + "A", AAD), "malformed", "appended character");
});

t.test("a short tag is refused, not accepted as a weaker tag", async (t) => {
  const parts = box.seal("abc", AAD).split(".");
  parts[3] = Buffer.from(parts[3]!, "base64url").subarray(0, 12).toString("base64url");
  fails(t, () => box.open(parts.join("."), AAD), "malformed", "12-byte tag");
});

t.test("a ciphertext moved to another owner or purpose fails to open", async (t) => {
  const env = box.seal("s3cret", commandAad("cmd_A", "secrets"));
  fails(t, () => box.open(env, commandAad("cmd_B", "secrets")), "tampered", "another command");
  fails(t, () => box.open(env, commandAad("cmd_A", "generatedKey")), "tampered", "another purpose");
  t.equal(box.open(env, commandAad("cmd_A", "secrets")), "s3cret");
  t.throws(() => box.seal("x", ""), TypeError, "an empty AAD is a programming error");
});

t.test("a wrong key is diagnosed as such, naming both key ids", async (t) => {
  const other = new SecretBox(randomBytes(32));
  const env = other.seal("s3cret", AAD);
  try {
    box.open(env, AAD);
    t.fail("opened");
  } catch (err) {
    t.equal((err as SecretBoxError).reason, "wrong-key");
    t.match((err as Error).message, other.keyId);
    t.match((err as Error).message, box.keyId);
  }
  // a forged header naming the right key id still fails: the header is authenticated
  const forged = env.replace(`.${other.keyId}.`, `.${box.keyId}.`);
  fails(t, () => box.open(forged, AAD), "tampered", "forged key id");
});

t.test("malformed and unknown-version envelopes", async (t) => {
  const env = box.seal("x", AAD);
  fails(t, () => box.open("", AAD), "malformed", "empty");
  fails(t, () => box.open("v1.abc", AAD), "malformed", "too few parts");
  fails(t, () => box.open(env.replace(/^v1/, "v2"), AAD), "unsupported-version", "v2");
  fails(t, () => box.open(env.replace(/^v1\.[0-9a-f]{8}/, "v1.ZZZZZZZZ"), AAD), "malformed", "bad key id");
  fails(t, () => box.open(undefined as unknown as string, AAD), "malformed", "not a string");
});

t.test("the key never shows in inspect, JSON or errors", async (t) => {
  const hex = key.toString("hex");
  t.notMatch(inspect(box, { showHidden: true, depth: 5 }), hex);
  t.notMatch(JSON.stringify(box), hex);
  t.throws(() => new SecretBox(Buffer.alloc(31)), RangeError);
  const copy = Buffer.from(key);
  const b2 = new SecretBox(copy);
  copy.fill(0); // the box keeps its own copy
  t.equal(b2.open(box.seal("y", AAD), AAD), "y");
});
