/**
 * Entry point of the operators' command line (`pnpm seatdesk account create …`, or this file compiled):
 * importing it runs it. The commands live in run.ts and commands.ts.
 */
import { runOps } from "./run";

process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
