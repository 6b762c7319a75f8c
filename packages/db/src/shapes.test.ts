import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { Database } from "./connect";
import { bind, runPrepared, Shapes, shapeOf } from "./prepared";
import { openTestDatabase } from "./testing";

/** The hot paths' statements rendered once per shape (services/usage): one parameter per name, values by name. */

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const p = sql.placeholder;

describe("shapeOf and bind", () => {
  it("a name used twice is one parameter; a constant keeps its place", () => {
    const shape = shapeOf(sql`select ${p("a")}::int + ${p("b")}::int as x, ${p("a")}::int as y, ${"fixed"}::text as z, ${p("b")}::int as w`);
    expect(shape.text).toBe("select $1::int + $2::int as x, $1::int as y, $3::text as z, $2::int as w");
    expect(bind(shape, { a: 1, b: 2 })).toEqual({ sql: shape.text, params: [1, 2, "fixed"] });
  });

  it("runs on the database with the values given by name, null included", async () => {
    const shape = shapeOf(sql`select ${p("a")}::int + ${p("b")}::int as sum, ${p("a")}::int as a, ${p("n")}::text as n`);
    const [row] = await runPrepared<{ sum: number; a: number; n: string | null }>(database.db, "shapes_test", bind(shape, { a: 40, b: 2, n: null }));
    expect({ sum: Number(row!.sum), a: Number(row!.a), n: row!.n }).toEqual({ sum: 42, a: 40, n: null });
  });

  it("a missing value is refused by name, before anything is sent", () => {
    const shape = shapeOf(sql`select ${p("account")}::uuid`);
    expect(() => bind(shape, {})).toThrow(/"account"/);
  });

  it("a statement whose text holds another $n is refused when rendered", () => {
    expect(() => shapeOf(sql`select ${sql.raw("$9")} as x, ${p("a")}::int`)).toThrow(/in order/);
  });

  it("Shapes renders each key once and starts over past its bound", () => {
    const shapes = new Shapes(2);
    let built = 0;
    const build = (n: number) => () => (built++, sql`select ${p("v")}::int + ${n}::int`);
    const first = shapes.get("one", build(1));
    expect(shapes.get("one", build(1))).toBe(first);
    shapes.get("two", build(2));
    expect(built).toBe(2);
    shapes.get("three", build(3));
    expect(shapes.get("one", build(1))).not.toBe(first);
    expect(built).toBe(4);
  });
});
