import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldName, foldTable } from "@seatdesk/db";
import { harnessForFile, makeTenant, type Tenant } from "./harness";
import { listen, makeScimToken, scim } from "./scim-helpers";

/**
 * SCIM names (issue 14): the lookup an identity provider makes before a create (`userName eq "…"`) and the
 * uniqueness the create then meets fold names the same way (name-fold.ts: NFC, then simple lowercase), in
 * JavaScript and in PostgreSQL alike; malformed paths, queries and NULs are 400s with SCIM error bodies.
 */

const h = harnessForFile();
let t: Tenant;
let token: string;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  t = await makeTenant(h, { users: 0 });
  token = (await makeScimToken(h, t)).token;
  ({ url: base, close } = await listen(h));
});
afterAll(() => close());

const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
const quoted = (s: string) => JSON.stringify(s);
const createUser = (userName: string) => scim(base, token, "POST", "/Users", { schemas: [userSchema], userName });
const findUsers = async (userName: string) => {
  const res = await scim(base, token, "GET", `/Users?filter=${encodeURIComponent(`userName eq ${quoted(userName)}`)}`);
  expect(res.status, userName).toBe(200);
  return (res.body.Resources as { userName: string }[]).map((r) => r.userName);
};

describe("one fold for lookup and uniqueness", () => {
  it("the fold itself: NFC, then simple lowercase", () => {
    expect(foldName("İnci")).toBe("inci");
    expect(["Ǆemal", "ǅemal", "ǆemal"].map(foldName)).toEqual(["ǆemal", "ǆemal", "ǆemal"]);
    expect(foldName("STRAẞE")).toBe("straße");
    expect(foldName("straße")).not.toBe(foldName("strasse"));
    expect(foldName("Jose\u0301")).toBe("jos\u00e9");
    expect(foldName("ΟΔΟΣ")).toBe("οδοσ"); // no final-sigma context: the same σ wherever it stands
    expect(foldName("a\\B")).toBe("a\\b");
  });

  it("PostgreSQL's seatdesk_fold agrees with JavaScript on every character of the table and on the cases above", async () => {
    const samples = [...foldTable.from, ...foldTable.to, "İnci", "ǅemal", "STRAẞE", "straße", "Jose\u0301", "ΟΔΟΣ", "a\\B", "Ünïcödé ÀÉÎ", "𐐀𐐨", "plain ascii@EXAMPLE.com", "ı", "ſ", "K"];
    const rows: unknown = await h.database.db.execute(
      sql`select i::int as i, seatdesk_fold(x) as folded from unnest(${`{${samples.map((s) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`}::text[]) with ordinality as u(x, i) order by i`,
    );
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { i: number; folded: string }[];
    expect(list.map((r) => r.folded)).toEqual(samples.map(foldName));
  });

  const cases: { stored: string; lookups: string[]; others: string[] }[] = [
    { stored: "İnci@fold.example", lookups: ["inci@fold.example", "İNCI@FOLD.EXAMPLE"], others: ["ınci@fold.example"] },
    { stored: "ǅemal@fold.example", lookups: ["Ǆemal@fold.example", "ǆemal@fold.example", "ǄEMAL@FOLD.EXAMPLE"], others: ["dzemal@fold.example"] },
    { stored: "straße@fold.example", lookups: ["STRAẞE@fold.example", "Straße@Fold.Example"], others: ["strasse@fold.example"] },
    { stored: "jos\u00e9@fold.example", lookups: ["Jose\u0301@fold.example", "JOS\u00c9@fold.example"], others: ["jose@fold.example"] },
    { stored: "a\\b@fold.example", lookups: ["A\\B@fold.example"], others: ["a\\\\b@fold.example", "ab@fold.example"] },
  ];

  for (const c of cases) {
    it(`${c.stored}: every lookup that finds it is a name a create is refused (409), and no other`, async () => {
      expect((await createUser(c.stored)).status).toBe(201);
      for (const name of [c.stored, ...c.lookups]) {
        expect(await findUsers(name), `lookup ${name}`).toEqual([c.stored]);
        const again = await createUser(name);
        expect(again.status, `create ${name}`).toBe(409);
        expect(again.body.scimType).toBe("uniqueness");
      }
      for (const name of c.others) {
        expect(await findUsers(name), `lookup ${name}`).toEqual([]);
        expect((await createUser(name)).status, `create ${name}`).toBe(201);
        expect(await findUsers(name)).toEqual([name]);
      }
    });
  }

  it("a filter with a backslash escape reads the backslash (userName eq \"a\\\\b…\")", async () => {
    const res = await scim(base, token, "GET", `/Users?filter=${encodeURIComponent('userName eq "a\\\\b@fold.example"')}`);
    expect(res.status).toBe(200);
    expect(res.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(["a\\b@fold.example"]);
    // The in-memory path (a condition SQL cannot answer) folds the same way.
    const mixed = await scim(base, token, "GET", `/Users?filter=${encodeURIComponent('userName eq "İNCI@FOLD.EXAMPLE" and groups pr')}`);
    expect(mixed.status).toBe(200);
    expect(mixed.body.totalResults).toBe(0);
    const memory = await scim(base, token, "GET", `/Users?filter=${encodeURIComponent('userName eq "İNCI@FOLD.EXAMPLE" and not (groups pr)')}`);
    expect(memory.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(["İnci@fold.example"]);
  });

  it("a rename to another user's name in another case is refused; to its own name in another case is not", async () => {
    const other = await createUser("Ǆ-rename@fold.example");
    const created = await createUser("someone@fold.example");
    const put = (userName: string) => scim(base, token, "PUT", `/Users/${created.body.id}`, { schemas: [userSchema], userName });
    expect((await put("ǆ-RENAME@fold.example")).status).toBe(409);
    expect((await put("SOMEONE@fold.example")).status).toBe(200);
    expect(other.status).toBe(201);
  });

  it("group names fold the same way", async () => {
    const create = (displayName: string) => scim(base, token, "POST", "/Groups", { schemas: [groupSchema], displayName });
    expect((await create("İstanbul")).status).toBe(201);
    expect((await create("ISTANBUL")).status).toBe(409);
    const found = await scim(base, token, "GET", `/Groups?filter=${encodeURIComponent('displayName eq "istanbul"')}`);
    expect(found.body.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(["İstanbul"]);
  });
});

describe("malformed input is a 400 with a SCIM error body", () => {
  const expect400 = (res: { status: number; body: { schemas: string[]; status: string; detail: string } }, detail: RegExp) => {
    expect(res.status).toBe(400);
    expect(res.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect(res.body.status).toBe("400");
    expect(res.body.detail).toMatch(detail);
  };

  it("a percent-decoding error in the path or the query", async () => {
    expect400(await scim(base, token, "GET", "/Users/%E0%A4%A"), /not valid percent-encoded UTF-8/);
    expect400(await scim(base, token, "GET", "/Groups/%FF"), /not valid percent-encoded UTF-8/);
    expect400(await scim(base, token, "GET", "/Users?filter=userName%20eq%20%22%FF%22"), /not valid percent-encoded UTF-8/);
    expect400(await scim(base, token, "GET", "/Users?filter=%"), /not valid percent-encoded UTF-8/);
  });

  it("a NUL in a group name, a group's externalId, a filter or the query", async () => {
    expect400(await scim(base, token, "POST", "/Groups", { schemas: [groupSchema], displayName: "a\u0000b" }), /displayName: must not contain the NUL character/);
    expect400(await scim(base, token, "POST", "/Groups", { schemas: [groupSchema], displayName: "nul-ext", externalId: "x\u0000" }), /externalId: must not contain the NUL character/);
    const group = await scim(base, token, "POST", "/Groups", { schemas: [groupSchema], displayName: "nul-target" });
    expect(group.status).toBe(201);
    const patch = await scim(base, token, "PATCH", `/Groups/${group.body.id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: "x\u0000y" }] });
    expect400(patch, /must not contain the NUL character/);
    expect400(await scim(base, token, "POST", "/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'userName eq "a\u0000"' }), /NUL/);
    expect400(await scim(base, token, "GET", "/Groups?filter=displayName%20eq%20%22a%00%22"), /NUL/);
  });
});
