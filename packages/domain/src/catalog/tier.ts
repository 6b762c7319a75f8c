/** Tier ids of the default catalog. The tuple is the single source of the type, the zod enum and the pg enum. */
export const tierIds = ["pro", "pro_plus", "power"] as const;
export type TierId = (typeof tierIds)[number];
