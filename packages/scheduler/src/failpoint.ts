/**
 * Failpoints for the kill tests (issue 6): SEATDESK_FAILPOINT names a step of the close, and the
 * process exits at once when it gets there, in the middle of the close's transaction, as a crash would.
 */
export function failpoint(step: string): void {
  if (process.env.SEATDESK_FAILPOINT === step) {
    process.stderr.write(`failpoint ${step}: exiting\n`);
    process.exit(86);
  }
}
