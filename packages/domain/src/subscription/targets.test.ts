import { describe, expect, it } from "vitest";
import { assertTargetCount, maxTargetsPerCall } from "./targets";

describe("assertTargetCount: one call takes 1 to 1,000 users or groups", () => {
  it.each([1, 2, maxTargetsPerCall])("accepts %i", (count) => {
    expect(() => assertTargetCount(count, "userIds")).not.toThrow();
  });

  it.each<[string, number, object]>([
    ["none", 0, { code: "INVALID_INPUT", field: "userIds", message: "userIds: choose at least one" }],
    ["one too many", maxTargetsPerCall + 1, { code: "TOO_MANY_TARGETS", field: "userIds", message: "userIds: at most 1000 in one call, got 1001" }],
  ])("refuses %s, naming the field", (_, count, error) => {
    expect(() => assertTargetCount(count, "userIds")).toThrow(expect.objectContaining({ name: "DomainError", ...error }));
  });
});
