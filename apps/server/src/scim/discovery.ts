import { ScimError, schemas, type ScimRequest, type ScimResponse } from "./common";

/** What Seatdesk's SCIM supports (RFC 7643 §5), for identity providers that read it before syncing. */
function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [schemas.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 1000 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: "oauthbearertoken", name: "Bearer token", description: "A SCIM token made by an owner in the console (Settings)", primary: true }],
    meta: { resourceType: "ServiceProviderConfig", location: `${baseUrl}/ServiceProviderConfig` },
  };
}

function resourceTypes(baseUrl: string) {
  return [
    { schemas: [schemas.resourceType], id: "User", name: "User", endpoint: "/Users", description: "A person in the account's directory", schema: schemas.user, meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/User` } },
    { schemas: [schemas.resourceType], id: "Group", name: "Group", endpoint: "/Groups", description: "A group of people; a tier assigned to it subscribes its members", schema: schemas.group, meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/Group` } },
  ];
}

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

function schemaList(baseUrl: string) {
  return [
    {
      schemas: [schemas.schema],
      id: schemas.user,
      name: "User",
      description: "User Account",
      attributes: [
        attr("userName", "string", { required: true, uniqueness: "server" }),
        attr("name", "complex", { subAttributes: [attr("formatted", "string"), attr("givenName", "string"), attr("familyName", "string")] }),
        attr("displayName", "string"),
        attr("emails", "complex", { multiValued: true, subAttributes: [attr("value", "string"), attr("type", "string"), attr("primary", "boolean")] }),
        attr("active", "boolean"),
        attr("externalId", "string", { caseExact: true }),
        attr("groups", "complex", { multiValued: true, mutability: "readOnly", subAttributes: [attr("value", "string"), attr("display", "string")] }),
      ],
      meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${schemas.user}` },
    },
    {
      schemas: [schemas.schema],
      id: schemas.group,
      name: "Group",
      description: "Group",
      attributes: [
        attr("displayName", "string", { required: true, uniqueness: "server" }),
        attr("externalId", "string", { caseExact: true }),
        attr("members", "complex", { multiValued: true, subAttributes: [attr("value", "string", { mutability: "immutable" }), attr("display", "string", { mutability: "readOnly" })] }),
      ],
      meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${schemas.group}` },
    },
  ];
}

/** GET /ServiceProviderConfig, /ResourceTypes[/id], /Schemas[/id]; null for any other path. */
export function discovery(first: string, id: string | null, req: ScimRequest): ScimResponse | null {
  const name = first.toLowerCase();
  if (!["serviceproviderconfig", "resourcetypes", "schemas"].includes(name)) return null;
  if (req.method !== "GET") throw new ScimError(405, `${first} is read-only`);
  if (name === "serviceproviderconfig") return { status: 200, body: serviceProviderConfig(req.baseUrl) };
  const all = name === "resourcetypes" ? resourceTypes(req.baseUrl) : schemaList(req.baseUrl);
  if (id) {
    const one = all.find((r) => r.id.toLowerCase() === id.toLowerCase());
    if (!one) throw new ScimError(404, `${first}/${id} not found`);
    return { status: 200, body: one };
  }
  return { status: 200, body: { schemas: [schemas.listResponse], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } };
}
