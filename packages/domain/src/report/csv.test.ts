import { describe, expect, it } from "vitest";
import { activityReportColumns, type ActivityRow } from "./columns";
import { activityCsvHeader, activityCsvRecord, csvField, csvRecord, formatCenticredits } from "./csv";

describe("CSV (RFC 4180)", () => {
  it.each<[number, string]>([
    [0, "0.00"],
    [5, "0.05"],
    [10, "0.10"],
    [110, "1.10"],
    [123456, "1234.56"],
    [100_000_000_01, "100000000.01"],
    [-250, "-2.50"],
  ])("formatCenticredits(%i) = %s", (cc, text) => {
    expect(formatCenticredits(cc)).toBe(text);
  });

  it.each<[string, string]>([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\r", '"cr\r"'],
    [" padded", '" padded"'],
    ["", ""],
  ])("csvField(%j) = %j", (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  const row: ActivityRow = {
    day: "2026-01-08",
    profileId: "p-1",
    userId: "u-1",
    userName: "ada@example.com",
    email: "ada@example.com",
    client: "ide",
    events: 3,
    creditsCc: 101_050,
    includedCc: 100_000,
    overageCc: 1_000,
    unbilledCc: 50,
    tier: "pro",
    status: "active",
    overageEnabled: true,
    overageCapCc: 20_000,
    newUser: true,
    lastActiveAt: "2026-01-08T12:00:00.000Z",
  };

  it("the header names every column in order; a record has one field per column, CRLF-terminated", () => {
    expect(activityCsvHeader()).toBe(`${activityReportColumns.map((c) => c.name).join(",")}\r\n`);
    expect(activityCsvRecord(row)).toBe("2026-01-08,p-1,u-1,ada@example.com,ada@example.com,ide,3,1010.50,1000.00,10.00,0.50,pro,active,true,200.00,true,2026-01-08T12:00:00.000Z\r\n");
  });

  it("no tier, no last active, an unlimited cap and a name that needs quoting", () => {
    const other = { ...row, userName: 'Lovelace, "Ada"', tier: null, status: "none" as const, overageEnabled: false, overageCapCc: "unlimited" as const, newUser: false, lastActiveAt: null };
    expect(activityCsvRecord(other)).toBe('2026-01-08,p-1,u-1,"Lovelace, ""Ada""",ada@example.com,ide,3,1010.50,1000.00,10.00,0.50,,none,false,unlimited,false,\r\n');
  });

  it.each<[string, Partial<ActivityRow>]>([
    ["plain", {}],
    ["text that needs quoting in every text column", { profileId: "p,1", userId: " u", userName: 'a "b"', email: "x\r\ny", client: "c,d", tier: "t " }],
    ["negative credits, no tier, unlimited", { creditsCc: -5, includedCc: -5, tier: null, overageCapCc: "unlimited", lastActiveAt: null }],
  ])("the record is csvRecord of the fields in the columns' order: %s", (_, over) => {
    const r = { ...row, ...over };
    const fields = [r.day, r.profileId, r.userId, r.userName, r.email, r.client, String(r.events), formatCenticredits(r.creditsCc), formatCenticredits(r.includedCc), formatCenticredits(r.overageCc), formatCenticredits(r.unbilledCc), r.tier ?? "", r.status, String(r.overageEnabled), r.overageCapCc === "unlimited" ? "unlimited" : formatCenticredits(r.overageCapCc), String(r.newUser), r.lastActiveAt ?? ""];
    expect(fields).toHaveLength(activityReportColumns.length);
    expect(activityCsvRecord(r)).toBe(csvRecord(fields));
  });
});
