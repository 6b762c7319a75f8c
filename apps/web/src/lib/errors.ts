import { TRPCClientError } from "@trpc/client";

interface ErrorData {
  code?: string;
  httpStatus?: number;
}

function dataOf(error: unknown): ErrorData | undefined {
  return error instanceof TRPCClientError ? (error.data as ErrorData | undefined) : undefined;
}

/** The server answered and refused (4xx): asking again will not help. */
export function isClientError(error: unknown): boolean {
  const status = dataOf(error)?.httpStatus;
  return status !== undefined && status >= 400 && status < 500;
}

export function isUnauthorized(error: unknown): boolean {
  return dataOf(error)?.code === "UNAUTHORIZED";
}

/**
 * A sentence to show a person. The server's messages are written for that (DESIGN.md §4);
 * anything without a server answer behind it is a transport failure, said plainly.
 */
export function errorMessage(error: unknown): string {
  if (dataOf(error)?.code && error instanceof Error && error.message) return error.message;
  return "Seatdesk could not be reached. Check your connection and try again.";
}
