import { useLayoutEffect, type RefObject } from "react";

/** A first guess of the space under a fitted table (the page's bottom padding, the panel's border); corrected by measuring. */
const bottomGap = 26;
/** A table is never squeezed below this: on a very short window the page scrolls instead. */
const minHeight = 280;

/**
 * Makes a scrolling table container end at the bottom of the window, so the page ends with the table and
 * the rows scroll inside it (issue 15: the Users tab does not scroll past its table). Measured after every
 * render (a notice above the table moves it) and on resize; two layout reads each time.
 */
export function useFitToViewport(ref: RefObject<HTMLElement | null>) {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fit = () => {
      const top = el.getBoundingClientRect().top + window.scrollY;
      const height = Math.max(minHeight, Math.floor(window.innerHeight - top - bottomGap));
      el.style.maxHeight = `${height}px`;
      // Whatever sits under the table (paddings, borders) is measured rather than assumed: take off what still overflows.
      const over = document.documentElement.scrollHeight - window.innerHeight;
      if (over > 0 && height > minHeight) el.style.maxHeight = `${Math.max(minHeight, height - over)}px`;
    };
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  });
}
