import { ScimError, type ScimHandler } from "./common";

/** /scim/v2/Groups (issue 8). */
export const groupsHandler: ScimHandler = async () => {
  throw new ScimError(501, "Groups are not implemented yet");
};
