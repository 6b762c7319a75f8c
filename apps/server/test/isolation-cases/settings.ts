import type { IsolationCase } from "./types";

export const settingsCases: IsolationCase[] = [];
