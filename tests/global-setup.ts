import { prepareTestDatabase } from "@seatdesk/db/testing";

export default async function setup(): Promise<void> {
  await prepareTestDatabase();
}
