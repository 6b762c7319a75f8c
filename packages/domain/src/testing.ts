/**
 * The rules composed into a whole profile in memory: the reference the server's and the scheduler's
 * results are checked against. For tests only (`@seatdesk/domain/testing`); the product never runs it.
 */
export * from "./model/profile-model";
