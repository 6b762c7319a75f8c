import { describe, expect, it } from "vitest";
import { DomainError, domainErrorCodes, domainErrorSlug, isDomainError, type DomainErrorCode, type DomainErrorSlug } from "./domain-error";

describe("domainErrorSlug: every refusal's machine-readable code (DESIGN.md §2 edge case 16)", () => {
  const slugs: [DomainErrorCode, DomainErrorSlug][] = [
    ["INVALID_INPUT", "invalid-input"],
    ["NOT_FOUND", "not-found"],
    ["CONFLICT", "conflict"],
    ["FORBIDDEN", "forbidden"],
    ["PRECONDITION_FAILED", "precondition-failed"],
    ["UNKNOWN_TIER", "unknown-tier"],
    ["UNKNOWN_USER", "unknown-user"],
    ["TOO_MANY_TARGETS", "too-many-targets"],
    ["INVALID_CATALOG", "invalid-catalog"],
    ["PERIOD_CLOSED", "period-closed"],
    ["EVENT_IN_FUTURE", "event-in-future"],
    ["NOT_SUBSCRIBED", "not-subscribed"],
    ["ACCESS_ENDED", "access-ended"],
    ["IDEMPOTENCY_CONFLICT", "idempotency-conflict"],
  ];

  it.each(slugs)("%s → %s", (code, slug) => {
    expect(domainErrorSlug(code)).toBe(slug);
  });

  it("covers every code, each slug lower-case kebab and distinct", () => {
    expect(slugs.map(([code]) => code)).toEqual([...domainErrorCodes]);
    const all = domainErrorCodes.map(domainErrorSlug);
    for (const slug of all) expect(slug).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(new Set(all).size).toBe(domainErrorCodes.length);
  });
});

describe("DomainError", () => {
  it("carries its literal code, the field and the sentence", () => {
    const e = new DomainError("ACCESS_ENDED", "userId: their access ended at 2026-01-20T09:00:00.000Z", "userId");
    expect([e.name, e.code, e.field, e.message, e instanceof Error]).toEqual(["DomainError", "ACCESS_ENDED", "userId", "userId: their access ended at 2026-01-20T09:00:00.000Z", true]);
    expect(new DomainError("CONFLICT", "no field").field).toBeUndefined();
  });

  it.each<[string, unknown, boolean]>([
    ["a DomainError", new DomainError("NOT_FOUND", "x"), true],
    ["a plain Error", new Error("x"), false],
    ["an object that looks like one", { name: "DomainError", code: "NOT_FOUND", message: "x" }, false],
    ["null", null, false],
  ])("isDomainError: %s → %s", (_, value, expected) => {
    expect(isDomainError(value)).toBe(expected);
  });
});
