import { describe, expect, it } from "vitest";
import { assertClientName, assertIdempotencyKey, firstDifference, sameEventBody, type UsageEventBody } from "./event";

const body: UsageEventBody = { userId: "u1", creditsCc: 250, client: "ide", occurredAt: new Date(Date.UTC(2026, 0, 8, 12)) };

describe("edge case 8: idempotency compares user, credits, client and time of occurrence", () => {
  it("the same body is the same", () => {
    expect(sameEventBody(body, { ...body, occurredAt: new Date(body.occurredAt.getTime()) })).toBe(true);
    expect(firstDifference(body, { ...body })).toBeNull();
  });
  it.each([
    ["userId", { userId: "u2" }],
    ["creditsCc", { creditsCc: 251 }],
    ["client", { client: "cli" }],
    ["occurredAt", { occurredAt: new Date(body.occurredAt.getTime() + 1) }],
  ] as const)("a different %s is a different body", (field, change) => {
    const other = { ...body, ...change };
    expect(sameEventBody(body, other)).toBe(false);
    expect(firstDifference(body, other)).toBe(field);
  });
});

describe("client names and keys", () => {
  it.each(["ide", "cli", "jetbrains-plugin", "vs.code_2"])("accepts client %s", (c) => expect(assertClientName(c)).toBe(c));
  it.each(["", "IDE", "-ide", "has space", "x".repeat(41)])("refuses client %j, naming the field", (c) => {
    expect(() => assertClientName(c)).toThrow(expect.objectContaining({ code: "INVALID_INPUT", field: "client" }));
  });
  it("keys: 1 to 255 printable characters", () => {
    expect(assertIdempotencyKey("req_01HZY")).toBe("req_01HZY");
    expect(() => assertIdempotencyKey("")).toThrow(/idempotencyKey/);
    expect(() => assertIdempotencyKey("a b")).toThrow(/idempotencyKey/);
    expect(() => assertIdempotencyKey("k".repeat(256))).toThrow(/idempotencyKey/);
    expect(assertIdempotencyKey("k".repeat(255))).toHaveLength(255);
  });
});
