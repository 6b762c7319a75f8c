import { formatUtc } from "../../lib/format";
import type { UserNotice } from "./types";
import { useCatalog } from "../catalog/useCatalog";
import { describeNotice } from "./user-format";

/** The user's notices, newest first (as the server orders them): thresholds their month crossed. */
export function NoticeList({ notices }: { notices: UserNotice[] }) {
  const catalog = useCatalog();
  return (
    <section className="panel user-panel" aria-labelledby="user-notices-title">
      <div className="panel-header">
        <div>
          <h2 id="user-notices-title">Notices</h2>
          <p className="panel-description">What their usage crossed, newest first.</p>
        </div>
      </div>
      {notices.length === 0 ? (
        <p className="user-empty">
          <strong>No notices.</strong>
          <span>A notice appears when they use 80% or all of their allowance, start using overage, or reach their overage cap.</span>
        </p>
      ) : (
        <ul className="user-notice-list" aria-label="Notices">
          {notices.map((n) => {
            const d = describeNotice(catalog, n.kind);
            return (
              <li key={n.id} className={`user-notice user-notice-${d.tone}`}>
                <span className="user-notice-icon" aria-hidden="true">
                  {d.tone === "warn" ? "!" : "i"}
                </span>
                <div>
                  <p className="user-notice-title">{d.title}</p>
                  {d.body && <p className="user-notice-body">{d.body}</p>}
                  {n.detail && <p className="user-notice-body">{n.detail}</p>}
                  <p className="note">
                    <time dateTime={n.createdAt}>{formatUtc(n.createdAt)}</time>
                  </p>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
