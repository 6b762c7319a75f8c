import type { IsolationCase } from "./types";

export const dashboardCases: IsolationCase[] = [];
