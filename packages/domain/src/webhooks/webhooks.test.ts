import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error";
import {
  deliveredStatus,
  endpointWants,
  failureStreak,
  nextRetry,
  parseWebhookUrl,
  shouldDisableEndpoint,
  webhookEventTypes,
  webhookRetryWindowMs,
} from "./index";

const t0 = new Date(Date.UTC(2026, 0, 8, 12));
const at = (ms: number) => new Date(t0.getTime() + ms);
const s = 1000;
const h = 3600 * s;

describe("endpointWants (issue 15, Webhooks: event types subscribed)", () => {
  it.each<[string, string[], string, boolean]>([
    ["no types listed: every event", [], "invoice.finalized", true],
    ["no types listed: a notice kind added later too", [], "notice.seat-note", true],
    ["an exact type", ["invoice.finalized"], "invoice.finalized", true],
    ["another type is not sent", ["invoice.finalized"], "report.ready", false],
    ["notice.* takes every notice", ["notice.*"], "notice.cap-reached", true],
    ["notice.* takes a kind it does not list", ["notice.*"], "notice.seat-note", true],
    ["notice.* is not a subscription change", ["notice.*"], "subscription.changed", false],
    ["one notice kind is not another", ["notice.allowance-80"], "notice.allowance-100", false],
  ])("%s", (_, subscribed, type, expected) => expect(endpointWants(subscribed, type)).toBe(expected));

  it("the types are listed once each", () => expect(new Set(webhookEventTypes).size).toBe(webhookEventTypes.length));
});

describe("nextRetry: exponential backoff with jitter for 24 hours", () => {
  it.each<[string, number, number, number, number]>([
    // attempts made, random, time of this failure (ms after the first attempt), expected wait in ms
    ["first failure, no jitter (random 0.5)", 1, 0.5, 0, 10 * s],
    ["second failure: three times longer", 2, 0.5, 10 * s, 30 * s],
    ["third failure", 3, 0.5, 40 * s, 90 * s],
    ["jitter low end: 0.8 of the wait", 1, 0, 0, 8 * s],
    ["jitter high end: just under 1.2", 1, 0.999, 0, 11_996],
    ["the wait stops growing at 3 hours", 12, 0.5, 2 * h, 3 * h],
  ])("%s", (_, attempts, random, sinceFirst, wait) => {
    expect(nextRetry({ attempts, firstAttemptAt: t0, now: at(sinceFirst), random })).toEqual({ kind: "retry", at: at(sinceFirst + wait) });
  });

  it("a retry that would fall past 24 hours after the first attempt gives up", () => {
    expect(nextRetry({ attempts: 14, firstAttemptAt: t0, now: at(webhookRetryWindowMs - h), random: 0.5 })).toEqual({ kind: "give-up" });
  });

  it("a retry exactly at the end of the window is still made", () => {
    expect(nextRetry({ attempts: 14, firstAttemptAt: t0, now: at(webhookRetryWindowMs - 3 * h), random: 0.5 })).toEqual({ kind: "retry", at: at(webhookRetryWindowMs) });
  });

  it("a schedule of failures retries about 15 times, then gives up within 24 hours", () => {
    let now = t0;
    let attempts = 1;
    for (;;) {
      const d = nextRetry({ attempts, firstAttemptAt: t0, now, random: 0.5 });
      if (d.kind === "give-up") break;
      now = d.at;
      attempts++;
    }
    expect(attempts).toBe(14);
    expect(now.getTime() - t0.getTime()).toBeLessThanOrEqual(webhookRetryWindowMs);
  });

  it.each([[0], [1.5], [-1]])("refuses attempts %s", (attempts) => {
    expect(() => nextRetry({ attempts, firstAttemptAt: t0, now: t0, random: 0.5 })).toThrow(RangeError);
  });
  it.each([[1], [-0.1], [Number.NaN]])("refuses random %s", (random) => {
    expect(() => nextRetry({ attempts: 1, firstAttemptAt: t0, now: t0, random })).toThrow(RangeError);
  });
});

describe("failureStreak and shouldDisableEndpoint: disabled after a delivery failed for 24 hours", () => {
  it.each<[string, { consecutiveFailures: number; failingSince: Date | null }, boolean, { consecutiveFailures: number; failingSince: Date | null }]>([
    ["a first failure starts the streak now", { consecutiveFailures: 0, failingSince: null }, false, { consecutiveFailures: 1, failingSince: at(5 * s) }],
    ["a further failure keeps its start", { consecutiveFailures: 3, failingSince: t0 }, false, { consecutiveFailures: 4, failingSince: t0 }],
    ["a success ends it", { consecutiveFailures: 3, failingSince: t0 }, true, { consecutiveFailures: 0, failingSince: null }],
  ])("%s", (_, before, ok, after) => expect(failureStreak(before, ok, at(5 * s))).toEqual(after));

  it.each<[string, Date | null, boolean, Date, boolean]>([
    ["a delivery gave up, every attempt since its first failed: disabled", t0, true, t0, true],
    ["the streak began before the delivery's first attempt: disabled", t0, true, at(h), true],
    ["a success came after the delivery's first attempt: stays enabled", at(2 * h), true, t0, false],
    ["no streak at all", null, true, t0, false],
    ["still retrying: stays enabled", t0, false, t0, false],
  ])("%s", (_, failingSince, gaveUp, firstAttemptAt, expected) => {
    expect(shouldDisableEndpoint({ failingSince }, { gaveUp, firstAttemptAt })).toBe(expected);
  });
});

describe("deliveredStatus", () => {
  it.each<[number, boolean]>([
    [200, true],
    [204, true],
    [299, true],
    [199, false],
    [301, false],
    [410, false],
    [500, false],
  ])("%s", (status, expected) => expect(deliveredStatus(status)).toBe(expected));
});

describe("parseWebhookUrl: http(s), no credentials, private addresses allowed", () => {
  it.each<[string, string]>([
    ["https://hooks.example.com/seatdesk", "https://hooks.example.com/seatdesk"],
    ["  http://10.0.0.5:8080/in?x=1 ", "http://10.0.0.5:8080/in?x=1"],
    ["http://127.0.0.1:9000", "http://127.0.0.1:9000/"],
    ["HTTPS://Example.COM/a", "https://example.com/a"],
  ])("accepts %s", (raw, expected) => expect(parseWebhookUrl(raw)).toBe(expected));

  it.each<[string, string]>([
    ["", "enter the endpoint's address"],
    ["not a url", "not a valid URL"],
    ["ftp://example.com/x", "only http and https"],
    ["javascript:alert(1)", "only http and https"],
    ["https://user:pw@example.com/", "remove the user name and password"],
    ["https://token@example.com/", "remove the user name and password"],
    ["https://example.com/#top", "remove the #fragment"],
    [`https://example.com/${"a".repeat(2000)}`, "at most 2000 characters"],
  ])("refuses %j", (raw, message) => {
    let error: unknown;
    try {
      parseWebhookUrl(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("INVALID_INPUT");
    expect((error as DomainError).field).toBe("url");
    expect((error as DomainError).message).toContain(message);
  });
});
