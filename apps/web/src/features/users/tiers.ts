import type { SubscriptionStatus } from "@seatdesk/domain";
import type { SubscribeResult } from "../../app/trpc";
import { formatDay, plural, statusLabels } from "../../lib/format";

export const notSubscribedLabel = "Not subscribed";

export function statusLabel(status: SubscriptionStatus | null): string {
  return status ? statusLabels[status] : notSubscribedLabel;
}

type Result = SubscribeResult["results"][number];

/**
 * What the server did, in a sentence per kind of outcome, from its answer per user (never from what was
 * asked): a downgrade is "on Feb 1", not "changed"; a user a group keeps at a higher tier is told so; who
 * was left as they were is counted apart. `requested` is the tier asked for (null: Deactivate plan); `noun`
 * names the people ("user", or "member" on the Groups tab).
 */
export function describeResults(results: readonly Result[], requested: string | null, tierName: (id: string) => string, noun = "user"): string {
  const groups = new Map<string, { order: number; count: number; text: (n: string) => string }>();
  const add = (order: number, key: string, text: (n: string) => string) => {
    const g = groups.get(key) ?? { order, count: 0, text };
    g.count++;
    groups.set(key, g);
  };
  const people = (n: number) => plural(n, noun);
  const byGroup = (r: Result) => r.coveredBy.some((c) => c.groupId !== null);
  for (const r of results) {
    const o = r.outcome;
    switch (o.kind) {
      case "subscribed":
        add(0, `sub:${o.tier}`, (n) => `Subscribed ${n} to ${tierName(o.tier)}. Pending until first use: nothing charged yet.`);
        break;
      case "restored":
        add(1, `restored:${o.tier}`, (n) => `Restored ${n} to ${tierName(o.tier)}.`);
        break;
      case "upgraded":
        add(2, `up:${o.to}`, (n) => `Upgraded ${n} to ${tierName(o.to)} now.`);
        break;
      case "changed-now":
        add(3, `now:${o.to}`, (n) => `Changed ${n} to ${tierName(o.to)} now (Pending: nothing charged yet).`);
        break;
      case "scheduled-change-cleared":
        add(4, `cleared:${o.tier}`, (n) => `${n} stay on ${tierName(o.tier)}: the scheduled downgrade is cleared.`);
        break;
      case "downgrade-scheduled": {
        const at = formatDay(o.at);
        if (requested === null) add(5, `stay-down:${o.to}:${at}`, (n) => `${n} stay subscribed through a group: ${tierName(o.to)} from ${at}.`);
        else if (o.to !== requested) add(5, `kept-down:${o.to}:${at}`, (n) => `${n} move down to ${tierName(o.to)} on ${at}, not ${tierName(requested)}: a group keeps them at ${tierName(o.to)}.`);
        else add(5, `down:${o.to}:${at}`, (n) => `${n} move down to ${tierName(o.to)} on ${at}; until then nothing changes.`);
        break;
      }
      case "canceled": {
        const at = formatDay(o.accessEndsAt);
        add(6, `cancel:${at}`, (n) => `Deactivated the plan of ${n}: access until ${at}; this month stays charged.`);
        break;
      }
      case "access-ended":
        add(6, "ended", (n) => `Access ended for ${n}.`);
        break;
      case "removed":
        add(7, "removed", (n) => `Removed the Pending subscription of ${n}; nothing was charged.`);
        break;
      case "unchanged":
        if (requested === null || (byGroup(r) && o.tier !== requested)) add(8, `kept:${o.tier}`, (n) => `${n} keep ${tierName(o.tier)} through a group: no change.`);
        else add(9, `same:${o.tier}`, (n) => `${n} already had ${tierName(o.tier)}: no change.`);
        break;
      case "none":
        add(
          10,
          "none",
          requested === null ? (n) => `${n} had no plan here: no change.` : (n) => `${n} inactive in the directory or without a plan here: not changed.`,
        );
        break;
    }
  }
  const sentences = [...groups.values()].sort((a, b) => a.order - b.order).map((g) => g.text(people(g.count)));
  // A sentence that starts with the count reads "1 user stays", "2 users stay": the verb follows the count.
  return sentences.map((s) => s.replace(/^(1 \S+) (stay|move|keep|had|already had)\b/, (_m, who: string, verb: string) => `${who} ${singular(verb)}`)).join(" ") || "Nothing changed.";
}

const singular = (verb: string) => ({ stay: "stays", move: "moves", keep: "keeps", had: "had", "already had": "already had" })[verb] ?? verb;
