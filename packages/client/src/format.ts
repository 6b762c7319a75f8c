/** Formats integer cents for people: 123456 → "$1,234.56". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100).toLocaleString("en-US");
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, "0")}`;
}

/** Centicredits (hundredths of a credit) for people: 123456 → "1,234.56"; -5 → "-0.05". */
export function formatCenticredits(cc: number): string {
  const sign = cc < 0 ? "-" : "";
  const abs = Math.abs(cc);
  const whole = Math.floor(abs / 100).toLocaleString("en-US");
  const frac = abs % 100;
  return `${sign}${frac === 0 ? whole : `${whole}.${String(frac).padStart(2, "0")}`}`;
}
