// Older messages, a page at a time, as the person scrolls up towards them (or as soon as
// the page opens, when the window is taller than what it was rendered with).
import { HistoryError } from "./history.js";

const LOAD_OLDER_WITHIN_PX = 200;

export class Scrollback {
  // page: the page the log was rendered with (has_more, or has_more_before on a page
  // opened on one message; history_limited). onSignedOut: the history API answered 401.
  constructor({ log, fetchPage, pageSize, page, onSignedOut = () => {} }) {
    this.log = log;
    this.fetchPage = fetchPage;
    this.pageSize = pageSize;
    this.onSignedOut = onSignedOut;
    this.loading = false;
    this.reset(page);
    log.scroller.addEventListener(
      "scroll",
      () => {
        if (log.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) this.load();
      },
      { passive: true },
    );
  }

  // The log now starts with `page`'s messages (the page was rendered, or replaced by the
  // newest page).
  reset(page) {
    this.hasOlder = "has_more" in page ? Boolean(page.has_more) : Boolean(page.has_more_before);
    this.limited = Boolean(page.history_limited); // retention removed what came before
    this.log.setEdge(this.edgeState());
  }

  edgeState() {
    if (this.hasOlder) return "more";
    return this.limited ? "limited" : "beginning";
  }

  // A window taller than the log shows its top at once: fill it.
  fill() {
    const s = this.log.scroller;
    if (this.hasOlder && s.scrollHeight <= s.clientHeight) this.load();
  }

  async load() {
    if (this.loading || !this.hasOlder) return;
    const before = this.log.lowestSeq;
    if (before === null) {
      this.hasOlder = false;
      this.log.setEdge(this.edgeState());
      return;
    }
    this.loading = true;
    this.log.setEdge("loading");
    let page;
    try {
      page = await this.fetchPage({ before_seq: before, limit: this.pageSize });
    } catch (error) {
      if (error instanceof HistoryError && error.status === 401) this.onSignedOut();
      console.warn("Loading earlier messages failed", error);
      this.loading = false;
      this.log.setEdge("error", () => this.load());
      return;
    }
    this.hasOlder = Boolean(page.has_more);
    this.limited = Boolean(page.history_limited);
    this.log.prepend(page.messages, this.edgeState());
    this.loading = false;
    // A tall window may still show the top; keep going until it is filled.
    if (this.hasOlder && this.log.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) this.load();
  }
}
