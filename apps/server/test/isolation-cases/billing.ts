import type { IsolationCase } from "./types";

export const billingCases: IsolationCase[] = [];
