import { z } from "zod";
import { maxTargetsPerCall } from "@seatdesk/domain";
import { activateUser, checkEntitlement, recordEvents, type UsageEventInput, type UserRef } from "../services/usage";
import { KeyNoLongerValid } from "../auth/api-keys";
import { keyRefused, router, usageProcedure, usageReadProcedure, usageWriteProcedure } from "../trpc/init";

/** A user as the tool knows them: Seatdesk's id, or the identity provider's user name. */
const userRef = {
  userId: z.uuid().optional(),
  // PostgreSQL text cannot hold NUL, so no user is named with one; refused here rather than failing in the query (a 500).
  userName: z.string().trim().min(1).max(320).refine((s) => !s.includes("\u0000"), "must not contain the NUL character").optional(),
};
const refOf = (i: { userId?: string | undefined; userName?: string | undefined }): UserRef => (i.userId ? { userId: i.userId } : { userName: i.userName! });
const oneUser = <T extends { userId?: string | undefined; userName?: string | undefined }>(v: T) => Boolean(v.userId) !== Boolean(v.userName);
const oneUserMessage = { message: "give userId or userName (one of them)", path: ["userId"] };

/** One usage event. Unknown fields are refused, so a typo never passes silently. */
const event = z
  .strictObject({
    ...userRef,
    credits: z.number(),
    client: z.string().max(64),
    occurredAt: z.iso.datetime({ offset: true }),
    idempotencyKey: z.string().max(255),
  })
  .refine(oneUser, oneUserMessage);

const toInput = (e: z.infer<typeof event>): UsageEventInput => ({ user: refOf(e), credits: e.credits, client: e.client, occurredAt: e.occurredAt, idempotencyKey: e.idempotencyKey });

/** A write whose key was revoked after this process verified it (the write's read found it so) is refused as any bad key is. */
const confirmedKey = <T>(write: Promise<T>): Promise<T> =>
  write.catch((e: unknown) => {
    throw e instanceof KeyNoLongerValid ? keyRefused() : e;
  });

/**
 * The tool's clients (IDE, CLI), with a profile API key: check before a request, record what it cost
 * after (DESIGN.md §4 "usage"; issue 5).
 */
export const usageRouter = router({
  /** May this user use paid features now? With the reason, the allowance, what is used and the headroom. Read-only. */
  check: usageReadProcedure.input(z.strictObject(userRef).refine(oneUser, oneUserMessage)).query(async ({ ctx, input }) => {
    const answer = await checkEntitlement(ctx.database.db, ctx.catalog, ctx.presentedKey, refOf(input), ctx.clock.now());
    if (!answer) throw keyRefused();
    return answer;
  }),

  /** The user signed in to the tool: a Pending subscription becomes Active (and is charged from now); "last active" moves. */
  activate: usageProcedure.input(z.strictObject(userRef).refine(oneUser, oneUserMessage)).mutation(({ ctx, input }) =>
    activateUser(ctx.database.db, ctx.catalog, ctx.keyScope, refOf(input), ctx.clock.now()),
  ),

  /**
   * Records one event. The same idempotency key with the same body answers the first result again, even
   * after its period closed (edge case 14); another body is refused (IDEMPOTENCY_CONFLICT). Every refusal
   * carries the domain's code in `data.domainCode` (edge case 16; see trpc/errors.ts).
   */
  record: usageWriteProcedure.input(event).mutation(async ({ ctx, input }) => {
    const [result] = await confirmedKey(recordEvents(ctx.database.db, ctx.catalog, ctx.keyScope, [toInput(input)], ctx.clock.now(), false));
    return result!;
  }),

  /** Records up to 1,000 events in one transaction: all or nothing; a bad event is named by its index (`events.3.credits`). */
  recordBatch: usageWriteProcedure
    .input(z.strictObject({ events: z.array(event).min(1, "send at least one event").max(maxTargetsPerCall, `at most ${maxTargetsPerCall} events in one batch`) }))
    .mutation(async ({ ctx, input }) => ({
      results: await confirmedKey(recordEvents(ctx.database.db, ctx.catalog, ctx.keyScope, input.events.map(toInput), ctx.clock.now(), true)),
    })),
});
