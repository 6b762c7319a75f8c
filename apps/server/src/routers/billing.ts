import { router } from "../trpc/init";

export const billingRouter = router({});
