import type { IsolationCase } from "./types";

export const auditCases: IsolationCase[] = [];
