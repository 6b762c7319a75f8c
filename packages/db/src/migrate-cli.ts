import { connect } from "./connect";

/** `pnpm db:migrate`: applies the committed migrations to DATABASE_URL (or the embedded data folder). */
const url = process.env.DATABASE_URL;
const dataDir = url ? undefined : `${process.env.SEATDESK_DATA_DIR ?? "./.data"}/pglite`;
const database = await connect({ url, dataDir, max: 1 });
await database.migrate();
await database.close();
process.stdout.write(`migrations applied (${database.kind})\n`);
