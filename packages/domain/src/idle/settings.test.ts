import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error";
import { idleActionFloorDays, idleAutomationOn, idleSettingsOff, validateIdleSettings, type IdleSettings } from "./settings";

const s = (warnDays: number | null, deactivateDays: number | null, expireDays: number | null): IdleSettings => ({ warnDays, deactivateDays, expireDays });

describe("validateIdleSettings", () => {
  const valid: [string, IdleSettings][] = [
    ["off", idleSettingsOff],
    ["warn only", s(30, null, null)],
    ["warn and deactivate", s(30, 14, null)],
    ["expire only", s(null, null, 60)],
    ["the bounds", s(1, 365, 365)],
  ];
  it.each(valid)("%s is accepted as given", (_, v) => expect(validateIdleSettings(v)).toEqual(v));

  const invalid: [string, IdleSettings, string][] = [
    ["0 days", s(0, null, null), "warnDays"],
    ["past a year", s(30, 366, null), "deactivateDays"],
    ["a fraction", s(null, null, 1.5), "expireDays"],
    ["negative", s(-3, null, null), "warnDays"],
    ["deactivate without a warning", s(null, 14, null), "deactivateDays"],
  ];
  it.each(invalid)("%s is refused naming %s", (_, v, field) => {
    let err: unknown;
    try {
      validateIdleSettings(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: "INVALID_INPUT", field });
    expect((err as Error).message.startsWith(`${field}:`)).toBe(true);
  });

  it("names the API's fields when given them", () => {
    expect(() => validateIdleSettings(s(null, 3, null), { warnDays: "idleWarnDays", deactivateDays: "idleDeactivateDays", expireDays: "idleExpireDays" })).toThrow(/^idleDeactivateDays: .*idleWarnDays/);
  });
});

describe("idleAutomationOn and idleActionFloorDays", () => {
  const cases: [IdleSettings, boolean, number | null][] = [
    [idleSettingsOff, false, null],
    [s(30, null, null), true, 30],
    [s(30, 14, null), true, 14],
    [s(null, null, 60), true, 60],
    [s(30, 14, 7), true, 7],
  ];
  it.each(cases)("%o: on %s, floor %s", (v, on, floor) => {
    expect(idleAutomationOn(v)).toBe(on);
    expect(idleActionFloorDays(v)).toBe(floor);
  });
});
