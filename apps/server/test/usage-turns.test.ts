import { describe, expect, it } from "vitest";
import { inTurn, TurnWaitTimeout, userKey } from "../src/services/usage/turns";
import { toTRPCError } from "../src/trpc/errors";

/**
 * services/usage/turns.ts: batches of one profile naming a common user take turns in arrival order; the
 * others run at once. No database: each "batch" is a promise the test settles by hand.
 */

/** A batch the test finishes when it wants; `started` says whether inTurn let it run. */
function batch(database: object, profile: string, users: string[], maxWaitMs?: number) {
  let finish!: (outcome: "ok" | Error) => void;
  const state = { started: false };
  const done = inTurn(
    database,
    profile,
    new Set(users),
    () => {
      state.started = true;
      return new Promise<string>((resolve, reject) => (finish = (o) => (o === "ok" ? resolve(users.join("+")) : reject(o))));
    },
    maxWaitMs,
  );
  return { state, done, finish: (o: "ok" | Error = "ok") => finish(o) };
}

/** Lets the promises settled so far run their continuations. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("batches take turns per profile (turns.ts)", () => {
  it("a batch naming a user of a running batch waits for it; a batch naming none runs at once", async () => {
    const db = {};
    const a = batch(db, "p", ["u1", "u2"]);
    const b = batch(db, "p", ["u2", "u3"]);
    const c = batch(db, "p", ["u4"]);
    await settle();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, false, true]);
    a.finish();
    await expect(a.done).resolves.toBe("u1+u2");
    await settle();
    expect(b.state.started).toBe(true);
    b.finish();
    c.finish();
    await expect(Promise.all([b.done, c.done])).resolves.toEqual(["u2+u3", "u4"]);
  });

  it("arrival order holds: a batch that overlaps only a waiting one does not overtake it", async () => {
    const db = {};
    const a = batch(db, "p", ["u1"]);
    const b = batch(db, "p", ["u1", "u2"]);
    const c = batch(db, "p", ["u2"]);
    await settle();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, false, false]);
    a.finish();
    await a.done;
    await settle();
    expect([b.state.started, c.state.started]).toEqual([true, false]);
    b.finish();
    await b.done;
    await settle();
    expect(c.state.started).toBe(true);
    c.finish();
    await c.done;
  });

  it("a batch that fails passes its error on and lets the next one go", async () => {
    const db = {};
    const a = batch(db, "p", ["u1"]);
    const b = batch(db, "p", ["u1"]);
    await settle();
    a.finish(new Error("no such user"));
    await expect(a.done).rejects.toThrow("no such user");
    await settle();
    expect(b.state.started).toBe(true);
    b.finish();
    await expect(b.done).resolves.toBe("u1");
  });

  it("other profiles and other database handles (other processes' pools) do not wait", async () => {
    const db = {};
    const a = batch(db, "p", ["u1"]);
    const b = batch(db, "q", ["u1"]);
    const c = batch({}, "p", ["u1"]);
    await settle();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, true, true]);
    for (const x of [a, b, c]) x.finish();
    await Promise.all([a.done, b.done, c.done]);
  });

  it("after the last batch of a profile ends, the next one starts at once", async () => {
    const db = {};
    const a = batch(db, "p", ["u1"]);
    await settle();
    a.finish();
    await a.done;
    const b = batch(db, "p", ["u1"]);
    await settle();
    expect(b.state.started).toBe(true);
    b.finish();
    await b.done;
  });

  it("a batch that waits too long leaves the queue with the answer a lock statement's timeout gave (503), and the one behind it goes", async () => {
    const db = {};
    const a = batch(db, "p", ["u1"]);
    const b = batch(db, "p", ["u1", "u2"], 30);
    const c = batch(db, "p", ["u2"]);
    await settle();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, false, false]);
    const error = await b.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TurnWaitTimeout);
    expect(toTRPCError(error)).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "The database is unavailable; try again shortly." });
    await settle();
    expect([b.state.started, c.state.started]).toEqual([false, true]);
    a.finish();
    c.finish();
    await Promise.all([a.done, c.done]);
  });

  it("users are keyed as the read finds them: ids in any case alike, names folded, an id and a name apart", () => {
    const id = "0A1B2C3D-0000-4000-8000-00000000000F";
    expect(userKey({ userId: id })).toBe(userKey({ userId: id.toLowerCase() }));
    expect(userKey({ userName: "Ana.Łuk@Example.com" })).toBe(userKey({ userName: "ana.łuk@example.com" }));
    expect(userKey({ userName: "İ" })).toBe(userKey({ userName: "i" }));
    expect(userKey({ userId: id })).not.toBe(userKey({ userName: id }));
  });
});
