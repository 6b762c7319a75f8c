import { describe, expect, it } from "vitest";
import { formatLsn, parseLsn } from "./replication";

describe("log positions", () => {
  it("reads PostgreSQL's notation, orders positions as the log does, and writes them back", () => {
    const a = parseLsn("16/B374D848")!;
    const b = parseLsn("17/0")!;
    expect(a).toBe((0x16n << 32n) | 0xb374d848n);
    expect(b > a).toBe(true);
    expect(parseLsn("0/FFFFFFFF")! < parseLsn("1/0")!).toBe(true);
    expect(formatLsn(a)).toBe("16/B374D848");
    expect(formatLsn(parseLsn("0/3000060")!)).toBe("0/3000060");
  });

  it("refuses anything else (a cookie may hold anything)", () => {
    for (const text of ["", "16", "16/", "/B3", "G/1", "16/B374D848/1", "123456789/0", "16/B374D848 or 1=1"]) expect(parseLsn(text), text).toBeNull();
  });
});
