import { loadModule, parseSync } from "libpg-query";
import type { DistributionPlan } from "./distribution";

/**
 * Whether one statement stays within one account, so that Citus can route it whole to the one node that
 * holds that account (DESIGN.md §3), decided on PostgreSQL's own parse tree (libpg-query) of the statement as
 * sent, with its parameters.
 *
 * The rule is the router planner's: every reference to a tenant table, at every level of the statement
 * (CTEs, subqueries in FROM, EXISTS/IN/scalar subqueries, both arms of a UNION, an INSERT's target and its
 * SELECT, an UPDATE's FROM, a DELETE's USING), must be filtered by its distribution column, by an equality
 * with a parameter or a literal, or with the distribution column of another reference that is (a join on
 * account_id, a correlation with an outer query, a CTE or subquery's account_id column); and all those
 * values must be one account. A statement on reference tables only, or on no table, is fine. What a
 * function or trigger does inside the database is not seen here.
 *
 * Equalities are read from the conjuncts of WHERE and of JOIN ... ON only: an account filter under OR or NOT,
 * or `account_id = any(...)`, does not count (it may admit several accounts).
 */

/** A parse-tree node: an object with one key, the node's type. */
type Node = Record<string, unknown>;

interface Entry {
  /** The name the statement refers to it by (its alias, or the table's name). */
  alias: string;
  /** A tenant table's name; null for a CTE, a subquery, a function or a reference table. */
  table: string | null;
  /** The columns known to carry an account: a tenant table's distribution column, a derived table's account columns. */
  columns: Map<string, Set<string>>;
}

interface Level {
  entries: Entry[];
  parent: Level | null;
  /** CTE names visible here, with the account values their columns carry. */
  ctes: Map<string, Map<string, Set<string>>>;
}

export interface TenantSqlProblem {
  message: string;
}

let loaded: Promise<void> | undefined;
/** libpg-query's WebAssembly module, loaded once. */
export const loadParser = () => (loaded ??= loadModule());

const kindOf = (n: unknown): string | null => (n && typeof n === "object" ? (Object.keys(n)[0] ?? null) : null);
const bodyOf = (n: unknown): Node => (n as Record<string, Node>)[kindOf(n)!]!;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Every node below `n` (itself included) that is a SubLink or a RangeSubselect, not descending into them. */
function nestedQueries(n: unknown, found: Node[] = []): Node[] {
  if (Array.isArray(n)) {
    for (const x of n) nestedQueries(x, found);
    return found;
  }
  if (!n || typeof n !== "object") return found;
  const kind = kindOf(n);
  if (kind === "SubLink" || kind === "SelectStmt") {
    found.push(n as Node);
    return found;
  }
  for (const v of Object.values(n as Node)) nestedQueries(v, found);
  return found;
}

/** The conjuncts of a condition (its top-level ANDs). */
function conjuncts(n: unknown): Node[] {
  if (!n) return [];
  if (kindOf(n) === "BoolExpr" && bodyOf(n).boolop === "AND_EXPR") return list(bodyOf(n).args).flatMap(conjuncts);
  return [n as Node];
}

export function tenantSqlProblems(statement: string, params: readonly unknown[], plan: DistributionPlan): TenantSqlProblem[] {
  const parsed = parseSync(statement) as { stmts?: { stmt: Node }[] };
  const problems: TenantSqlProblem[] = [];
  const accounts = new Set<string>();
  let newAccounts = 0;
  const tenantColumn = (table: string) => plan.distributedBy?.[table] ?? "account_id";
  // PostgreSQL's own catalogs (the pg_ prefix is reserved to them) hold no account's rows.
  const isTenant = (table: string) => !Object.hasOwn(plan.referenceTables, table) && !table.startsWith("pg_");

  /** A parameter or literal's value, as a key; null when the expression is not one. */
  function constant(n: unknown): string | null {
    const kind = kindOf(n);
    if (kind === "BatchValue") return String(bodyOf(n).value);
    if (kind === "TypeCast") return constant(bodyOf(n).arg);
    if (kind === "ParamRef") {
      const i = Number(bodyOf(n).number) - 1;
      return `value:${JSON.stringify(params[i] ?? null)}`;
    }
    if (kind === "A_Const") {
      const c = bodyOf(n);
      const value = Object.entries(c).find(([k]) => k !== "location");
      return value ? `literal:${JSON.stringify(value[1])}` : null;
    }
    return null;
  }

  /**
   * A batch given as parameters, read as a table: `unnest($1::uuid[], $2::uuid[], ...)` (one column per array)
   * or `json_to_recordset($1::json) as v(account_id uuid, ...)` (the columns defined). Each column stands for
   * the several values its parameter holds; null when the FROM item is anything else.
   */
  function batchOf(functions: unknown, names: readonly string[]): string[] | null {
    const calls = list(functions)
      .flatMap((f) => (kindOf(f) === "List" ? list(bodyOf(f).items) : [f]))
      .filter((x) => kindOf(x) === "FuncCall");
    if (calls.length !== 1) return null;
    const f = bodyOf(calls[0]);
    const name = list(f.funcname).map((x) => String(bodyOf(x).sval)).join(".");
    const args = list(f.args).map((a) => (kindOf(a) === "TypeCast" && kindOf(bodyOf(a).arg) === "ParamRef" ? Number(bodyOf(bodyOf(a).arg).number) - 1 : null));
    if (args.length === 0 || args.some((i) => i === null)) return null;
    const given = args.map((i) => params[i!]);
    if (name === "unnest") return given.map((v, i) => columnValue(arrayElements(v), `batch:${args[i]}`));
    if ((name === "json_to_recordset" || name === "jsonb_to_recordset") && given.length === 1) {
      const rows = jsonRows(given[0]);
      return names.map((n) => columnValue(rows?.map((r) => r[n]) ?? null, `batch:${args[0]}:${n}`));
    }
    return null;
  }

  /** A batch column's values as one account when they are all the same (a batch of one account's rows), else the batch. */
  function columnValue(values: unknown[] | null, batch: string): string {
    const distinct = values ? new Set(values.map((v) => JSON.stringify(v))) : null;
    return distinct?.size === 1 ? `value:${[...distinct][0]}` : batch;
  }

  /** The elements of a one-dimensional array of uuids or plain words as PostgreSQL's input syntax writes it; null otherwise. */
  function arrayElements(v: unknown): string[] | null {
    if (typeof v !== "string" || !/^\{[^{}"\\]*\}$/.test(v)) return null;
    return v === "{}" ? [] : v.slice(1, -1).split(",");
  }

  function jsonRows(v: unknown): Record<string, unknown>[] | null {
    try {
      const rows = JSON.parse(String(v)) as unknown;
      return Array.isArray(rows) && rows.every((r) => r && typeof r === "object") ? (rows as Record<string, unknown>[]) : null;
    } catch (e) {
      // Not JSON the check can read: the batch is taken for several accounts, the stricter reading.
      if (e instanceof SyntaxError) return null;
      throw e;
    }
  }

  /** The entry and column a column reference names, searching outward as PostgreSQL does; null when it carries no account. */
  function resolve(n: unknown, level: Level): { entry: Entry; column: string } | null {
    if (kindOf(n) === "TypeCast") return resolve(bodyOf(n).arg, level);
    if (kindOf(n) !== "ColumnRef") return null;
    const fields = list(bodyOf(n).fields).map((f) => (kindOf(f) === "String" ? String(bodyOf(f).sval) : "*"));
    const column = fields.at(-1)!;
    for (let l: Level | null = level; l; l = l.parent) {
      if (fields.length >= 2) {
        const entry = l.entries.find((e) => e.alias === fields.at(-2));
        if (entry) return entry.columns.has(column) ? { entry, column } : null;
      } else if (l.entries.length > 0) {
        // An unqualified name: taken from the innermost level with tables, as PostgreSQL most often would; a
        // name none of them is known to carry an account in is not an account there (never a filter found by luck).
        const entry = l.entries.find((e) => e.columns.has(column));
        return entry ? { entry, column } : null;
      }
    }
    return null;
  }

  /** The account values an expression carries (a constant, or a column that carries accounts), else null. */
  function valuesOf(n: unknown, level: Level): Set<string> | null {
    const c = constant(n);
    if (c !== null) return new Set([c]);
    const r = resolve(n, level);
    return r ? r.entry.columns.get(r.column)! : null;
  }

  function entriesOfFrom(items: unknown[], level: Level, quals: Node[], later: Node[]): void {
    for (const item of items) {
      const kind = kindOf(item);
      const b = kind ? bodyOf(item) : {};
      if (kind === "RangeVar") {
        const name = String(b.relname);
        const alias = b.alias ? String((b.alias as Node).aliasname) : name;
        const cte = b.schemaname ? undefined : lookupCte(level, name);
        if (cte) level.entries.push({ alias, table: null, columns: new Map([...cte].map(([k, v]) => [k, new Set(v)])) });
        else if (isTenant(name) && (!b.schemaname || b.schemaname === plan.schema)) level.entries.push({ alias, table: name, columns: new Map([[tenantColumn(name), new Set()]]) });
        else level.entries.push({ alias, table: null, columns: new Map() });
      } else if (kind === "JoinExpr") {
        entriesOfFrom([b.larg, b.rarg], level, quals, later);
        quals.push(...conjuncts(b.quals));
      } else if (kind === "RangeSubselect") {
        // Analysed once this level's filters are known (a LATERAL subquery may correlate with them).
        const alias = b.alias ? String((b.alias as Node).aliasname) : "";
        const entry: Entry = { alias, table: null, columns: new Map() };
        level.entries.push(entry);
        later.push({ Derived: { entry, query: b.subquery } });
      } else if (kind === "RangeFunction") {
        const alias = b.alias ? String((b.alias as Node).aliasname) : "";
        const defined = list(b.coldeflist).map((c) => String(bodyOf(c).colname));
        const names = defined.length > 0 ? defined : list(b.alias ? (b.alias as Node).colnames : []).map((c) => String(bodyOf(c).sval));
        const batch = batchOf(b.functions, names);
        level.entries.push({ alias, table: null, columns: new Map(names.map((name, i) => [name, new Set(batch?.[i] ? [batch[i]] : [])])) });
        later.push(...nestedQueries(b.functions).map((q) => ({ Nested: { query: q } })));
      }
    }
  }

  function lookupCte(level: Level | null, name: string): Map<string, Set<string>> | undefined {
    for (let l = level; l; l = l.parent) {
      const cte = l.ctes.get(name);
      if (cte) return cte;
    }
    return undefined;
  }

  /** Applies the equalities, propagating accounts along joins until nothing changes. */
  function applyFilters(level: Level, filters: Node[]): void {
    const pairs: [unknown, unknown][] = [];
    for (const f of filters) {
      if (kindOf(f) === "SubLink" && bodyOf(f).subLinkType === "ANY_SUBLINK") {
        // (a.account_id, a.profile_id) in (select * from unnest($1::uuid[], $2::uuid[])): each column, one batch.
        const sub = bodyOf(bodyOf(f).subselect as Node);
        const from = list(sub.fromClause);
        const batch = from.length === 1 && kindOf(from[0]) === "RangeFunction" ? batchOf(bodyOf(from[0]).functions, []) : null;
        const test = bodyOf(f).testexpr;
        const left = kindOf(test) === "RowExpr" ? list(bodyOf(test).args) : [test];
        if (batch) left.forEach((l, i) => batch[i] && pairs.push([l, { BatchValue: { value: batch[i] } }]));
        continue;
      }
      if (kindOf(f) !== "A_Expr") continue;
      const e = bodyOf(f);
      const op = list(e.name).map((x) => String(bodyOf(x).sval)).join(".");
      if (e.kind === "AEXPR_OP" && op === "=") pairs.push([e.lexpr, e.rexpr]);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [l, r] of pairs) {
        for (const [side, other] of [
          [l, r],
          [r, l],
        ] as const) {
          const target = resolve(side, level);
          if (!target || !level.entries.includes(target.entry)) continue;
          const values = valuesOf(other, level);
          if (!values) continue;
          const set = target.entry.columns.get(target.column)!;
          for (const v of values) {
            if (!set.has(v)) {
              set.add(v);
              changed = true;
            }
          }
        }
      }
    }
  }

  /** Checks one level's tenant tables once its filters are applied; then what is nested in it. */
  function finish(level: Level, later: Node[], nested: unknown[]): void {
    for (const item of later) {
      if (kindOf(item) === "Derived") {
        const { entry, query } = bodyOf(item) as unknown as { entry: Entry; query: Node };
        const exposed = query_(query, level);
        for (const [k, v] of exposed) entry.columns.set(k, v);
      } else nestedQuery(bodyOf(item).query as Node, level);
    }
    for (const q of nestedQueries(nested)) nestedQuery(q, level);
    for (const entry of level.entries) {
      if (entry.table === null) continue;
      const values = entry.columns.get(tenantColumn(entry.table))!;
      if (values.size === 0) problems.push({ message: `${entry.table}${entry.alias !== entry.table ? ` (${entry.alias})` : ""} is not filtered by ${tenantColumn(entry.table)}` });
      for (const v of values) accounts.add(v);
    }
  }

  function nestedQuery(q: Node, level: Level): void {
    query_(kindOf(q) === "SubLink" ? bodyOf(q).subselect : q, level);
  }

  function withClause(w: unknown, level: Level): void {
    for (const c of list(w ? (w as Node).ctes : [])) {
      const cte = bodyOf(c);
      level.ctes.set(String(cte.ctename), query_(cte.ctequery as Node, level));
    }
  }

  /** Analyses a query (SELECT, or a data-modifying statement in a CTE); returns the account values its output columns carry. */
  function query_(n: unknown, parent: Level | null): Map<string, Set<string>> {
    const kind = kindOf(n);
    if (!kind) return new Map();
    const b = bodyOf(n);
    const level: Level = { entries: [], parent, ctes: new Map() };
    withClause(b.withClause, level);
    const later: Node[] = [];
    const quals: Node[] = [];
    if (kind === "SelectStmt") {
      if (b.op && b.op !== "SETOP_NONE") {
        // The arms are SelectStmt bodies, without the node's type around them.
        const left = query_({ SelectStmt: b.larg }, level);
        const right = query_({ SelectStmt: b.rarg }, level);
        return new Map([...left].filter(([k]) => right.has(k)).map(([k, v]) => [k, new Set([...v, ...right.get(k)!])]));
      }
      if (b.valuesLists) {
        finish(level, [], [b.valuesLists]);
        return new Map();
      }
      entriesOfFrom(list(b.fromClause), level, quals, later);
      applyFilters(level, [...quals, ...conjuncts(b.whereClause)]);
      finish(level, later, [b.targetList, b.whereClause, b.havingClause, b.groupClause, b.sortClause, quals]);
      const exposed = new Map<string, Set<string>>();
      for (const t of list(b.targetList)) {
        const rt = bodyOf(t);
        const ref = kindOf(rt.val) === "ColumnRef" ? list(bodyOf(rt.val).fields).at(-1) : undefined;
        const name = rt.name ? String(rt.name) : ref && kindOf(ref) === "String" ? String(bodyOf(ref).sval) : null;
        if (name) exposed.set(name, new Set(valuesOf(rt.val, level)));
      }
      return exposed;
    }
    if (kind === "InsertStmt") {
      const relation = bodyOf({ RangeVar: b.relation });
      const table = String(relation.relname);
      const columns = list(b.cols).map((c) => String(bodyOf(c).name));
      const entry: Entry = { alias: relation.alias ? String((relation.alias as Node).aliasname) : table, table: isTenant(table) ? table : null, columns: new Map() };
      if (entry.table) entry.columns.set(tenantColumn(table), new Set());
      const at = entry.table ? columns.indexOf(tenantColumn(table)) : -1;
      const select = b.selectStmt ? bodyOf(b.selectStmt) : null;
      if (select?.valuesLists) {
        for (const row of list(select.valuesLists)) {
          const item = at >= 0 ? list(bodyOf(row).items)[at] : undefined;
          // DEFAULT in the distribution column: a new account (accounts.id), one per row, routed once its id is drawn.
          const value = kindOf(item) === "SetToDefault" ? `new:${newAccounts++}` : constant(item);
          if (value !== null) entry.columns.get(tenantColumn(table))!.add(value);
        }
        finish(level, [], [select.valuesLists]);
      } else if (b.selectStmt) {
        // INSERT ... SELECT: the account the SELECT's column in the account position carries.
        const exposed = query_(b.selectStmt, level);
        const targets = list(bodyOf(b.selectStmt).targetList).map((t) => bodyOf(t));
        const rt = at >= 0 ? targets[at] : undefined;
        const ref = rt && kindOf(rt.val) === "ColumnRef" ? list(bodyOf(rt.val).fields).at(-1) : undefined;
        const name = rt ? (rt.name ? String(rt.name) : ref && kindOf(ref) === "String" ? String(bodyOf(ref).sval) : null) : null;
        const c = rt ? constant(rt.val) : null;
        const values = c !== null ? new Set([c]) : name ? exposed.get(name) : undefined;
        for (const v of values ?? []) entry.columns.get(tenantColumn(table))!.add(v);
      }
      level.entries.push(entry, { alias: "excluded", table: null, columns: new Map() });
      const conflict = b.onConflictClause as Node | undefined;
      finish(level, [], [conflict?.targetList, conflict?.whereClause, b.returningList]);
      return new Map();
    }
    if (kind === "UpdateStmt" || kind === "DeleteStmt") {
      entriesOfFrom([{ RangeVar: b.relation }, ...list(kind === "UpdateStmt" ? b.fromClause : b.usingClause)], level, quals, later);
      applyFilters(level, [...quals, ...conjuncts(b.whereClause)]);
      finish(level, later, [b.targetList, b.whereClause, b.returningList, quals]);
      return new Map();
    }
    return new Map();
  }

  for (const { stmt } of parsed.stmts ?? []) {
    const kind = kindOf(stmt);
    if (kind === "SelectStmt" || kind === "InsertStmt" || kind === "UpdateStmt" || kind === "DeleteStmt") query_(stmt, null);
  }
  const batches = [...accounts].filter((a) => a.startsWith("batch:"));
  if (batches.length > 0) problems.push({ message: "runs for a batch of accounts (each row joined within its own account)" });
  else if (accounts.size > 1) problems.push({ message: `reaches ${accounts.size} accounts (${[...accounts].join(", ")})` });
  return problems;
}
