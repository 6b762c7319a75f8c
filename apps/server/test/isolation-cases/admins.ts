import type { IsolationCase } from "./types";

export const adminsCases: IsolationCase[] = [];
