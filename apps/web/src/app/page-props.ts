import type { Me } from "./trpc";

/** What every page of a profile gets from the shell. */
export interface ProfilePageProps {
  profile: { id: string; region: string; name: string };
  me: Me;
  /** Owners and admins change things; viewers read. */
  canEdit: boolean;
  /** Opens another page of the console (keeps the region). */
  go: (page: string, params?: Record<string, string>) => void;
}
