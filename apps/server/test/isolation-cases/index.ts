import { adminsCases } from "./admins";
import { auditCases } from "./audit";
import { billingCases } from "./billing";
import { catalogCases } from "./catalog";
import { clockCases } from "./clock";
import { scimCases } from "./scim";
import { coreCases } from "./core";
import { coverageCases } from "./coverage";
import { dashboardCases } from "./dashboard";
import { directoryCases } from "./directory";
import { idleCases } from "./idle";
import { settingsCases } from "./settings";
import type { IsolationCase } from "./types";
import { usageCases } from "./usage";
import { trendsCases } from "./trends";
import { reportsCases } from "./reports";
import { forecastsCases } from "./forecasts";
import { webhooksCases } from "./webhooks";

/** Every procedure's case, by area. A procedure with no case here fails test/isolation.test.ts. */
export const isolationCases: IsolationCase[] = [...coreCases, ...adminsCases, ...settingsCases, ...directoryCases, ...billingCases, ...dashboardCases, ...auditCases, ...usageCases, ...clockCases, ...scimCases, ...coverageCases, ...catalogCases, ...idleCases, ...trendsCases, ...reportsCases, ...forecastsCases, ...webhooksCases];
