/** The default region list of DESIGN.md §1; SEATDESK_REGIONS ("id=Name,id=Name") replaces it. */
export const defaultRegions: readonly { id: string; name: string }[] = parseRegions(process.env.SEATDESK_REGIONS) ?? [
  { id: "us-east-1", name: "US East (N. Virginia)" },
  { id: "eu-central-1", name: "Europe (Frankfurt)" },
];

export function parseRegions(value: string | undefined): { id: string; name: string }[] | null {
  if (!value) return null;
  return value.split(",").map((entry) => {
    const [id, name] = entry.split("=");
    return { id: (id ?? "").trim(), name: (name ?? id ?? "").trim() };
  });
}
