import type { IsolationCase } from "./types";

export const directoryCases: IsolationCase[] = [];
