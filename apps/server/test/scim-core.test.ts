import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, harnessForFile, makeTenant, type Tenant } from "./harness";
import { listen, makeScimToken, scim } from "./scim-helpers";

/** Issue 8: /scim/v2's door: tokens per account, discovery endpoints, the error schema. */
const h = harnessForFile();
let base: string;
let close: () => Promise<void>;
let t: Tenant;
let token: string;

beforeAll(async () => {
  ({ url: base, close } = await listen(h));
  t = await makeTenant(h, { users: 2 });
  token = (await makeScimToken(h, t)).token;
});
afterAll(() => close());

const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

describe("SCIM tokens and discovery", () => {
  it("no token, a malformed one, another kind of key, or a revoked one: 401 in the SCIM error schema", async () => {
    const revoked = await makeScimToken(h, t, "old");
    await callerAs(h, t.admins.owner).scimTokens.revoke({ tokenId: revoked.id });
    for (const bad of [null, "nope", `sdk_${"a".repeat(12)}_${"b".repeat(43)}`, revoked.token, `${token.slice(0, -1)}x`]) {
      const r = await scim(base, bad, "GET", "/Users");
      expect(r.status, String(bad)).toBe(401);
      expect(r.contentType).toMatch(/^application\/scim\+json/);
      expect(r.body).toMatchObject({ schemas: [errorSchema], status: "401" });
    }
  });

  it("tokens are made and revoked by owners only, shown once, listed without the secret", async () => {
    await expect(callerAs(h, t.admins.admin).scimTokens.create({ name: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const list = await callerAs(h, t.admins.viewer).scimTokens.list();
    expect(list.length).toBeGreaterThan(0);
    expect(JSON.stringify(list)).not.toContain(token);
    expect(list[0]!.hint).toMatch(/^scim_[A-Za-z0-9_-]{12}_…$/);
  });

  it("ServiceProviderConfig, ResourceTypes and Schemas describe what is supported", async () => {
    const config = await scim(base, token, "GET", "/ServiceProviderConfig");
    expect(config.status).toBe(200);
    expect(config.contentType).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false }, sort: { supported: false } });
    const types = await scim(base, token, "GET", "/ResourceTypes");
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(["User", "Group"]);
    expect((await scim(base, token, "GET", "/ResourceTypes/Group")).body.endpoint).toBe("/Groups");
    const user = await scim(base, token, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
    expect(user.body.attributes.map((a: { name: string }) => a.name)).toContain("userName");
    const unknown = await scim(base, token, "GET", "/Nothing");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ schemas: [errorSchema], status: "404" });
  });
});
