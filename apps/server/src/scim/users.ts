import { ScimError, type ScimHandler } from "./common";

/** /scim/v2/Users (issue 8). */
export const usersHandler: ScimHandler = async () => {
  throw new ScimError(501, "Users are not implemented yet");
};
