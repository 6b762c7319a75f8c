import { router } from "../trpc/init";

export const adminsRouter = router({});
