import { router } from "../trpc/init";

export const directoryRouter = router({});
