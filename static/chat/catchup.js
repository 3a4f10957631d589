// Keeping the log in step with the room: which seqs are accounted for, the resume that
// catches up after every (re)connect, the gaps that out-of-order broadcasts leave, and, on a
// page opened on one message (/chat/<slug>/?seq=N), paging forward to the live end.
//
// Events: "messages" (detail: messages from the server about to join the log, live or from
// a resume, so the outbox can settle its own), "ready" (the socket is open and its resume
// answered: the page is connected and may send), "live" (detail: the newest page, which
// replaced the log when the person went straight to the live end).
import { LOG } from "./wording.js";

const GAP_GRACE_MS = 250; // broadcasts from several server processes may arrive out of order
const LOAD_NEWER_WITHIN_PX = 200;

export class CatchUp extends EventTarget {
  constructor({ socket, log, end, fetchPage, pageSize, detached }) {
    super();
    this.socket = socket;
    this.log = log;
    this.end = end; // the line below the newest message shown
    this.fetchPage = fetchPage; // params -> a page of the history API
    this.pageSize = pageSize;
    // Every seq up to `upTo` is shown, or known not to exist (removed messages leave holes,
    // and an answer to `resume` is authoritative). Resuming after it catches up exactly.
    this.upTo = 0;
    this.ready = false; // the socket is open and its resume has been answered
    this.resuming = false;
    this.gapTimer = null;
    this.gapSeenWhileResuming = false;
    // A page opened on one message has newer messages to page through before the live end;
    // until it reaches it, the page is `detached`: live messages wait, and no resume is sent.
    this.detached = detached;
    this.loadingNewer = false;

    socket.addEventListener("open", () => {
      this.ready = false;
      this.sendResume();
    });
    socket.addEventListener("close", () => {
      this.ready = false;
      this.resuming = false;
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
    });
    log.scroller.addEventListener(
      "scroll",
      () => {
        if (this.detached && this.nearBottom()) this.loadNewer();
      },
      { passive: true },
    );
  }

  // The messages the page was rendered with are in the log: count from the newest.
  start() {
    this.upTo = this.log.highestSeq ?? 0;
    this.setEnd(this.detached ? "more" : "live");
    // A page too short to scroll could never reach the live end by scrolling.
    const s = this.log.scroller;
    if (this.detached && s.scrollHeight <= s.clientHeight) this.loadNewer();
  }

  advance() {
    while (this.log.has(this.upTo + 1)) this.upTo += 1;
  }

  // Something was added to the log out of the socket's order (an ack shown at its seq).
  added() {
    this.advance();
    if (this.log.highestSeq > this.upTo) this.noticeGap();
  }

  // ---- Catching up ----

  // The server answers each resume with one page and says whether more follow; the page
  // asks again from where it stopped until it has everything, then counts as caught up.
  sendResume() {
    if (this.resuming || !this.socket.isOpen) return;
    if (this.detached) {
      // Nothing to catch up on yet: newer messages come page by page until the live end.
      this.resumed(this.upTo);
      return;
    }
    this.resuming = true;
    this.gapSeenWhileResuming = false;
    this.socket.send({ type: "resume", after_seq: this.upTo });
  }

  // A `history` frame: one page of the answer to a resume.
  receivePage(messages) {
    this.dispatchEvent(new CustomEvent("messages", { detail: messages }));
    this.log.append(messages);
  }

  // A `resumed` frame: the page of the resume is complete.
  resumed(lastSeq, hasMore = false) {
    if (Number.isSafeInteger(lastSeq) && lastSeq > this.upTo) this.upTo = lastSeq;
    this.advance();
    if (hasMore) {
      this.socket.send({ type: "resume", after_seq: this.upTo });
      return;
    }
    this.resuming = false;
    if (!this.ready) {
      this.ready = true;
      this.dispatchEvent(new Event("ready"));
    }
    if (this.gapSeenWhileResuming) this.noticeGap();
  }

  // A `message` frame: a new message, live.
  receiveLive(message) {
    if (this.detached) {
      // Paging reaches it in order; the pill offers to go straight to the live end.
      this.log.showPill(true);
      return;
    }
    this.dispatchEvent(new CustomEvent("messages", { detail: [message] }));
    this.log.append([message]);
    this.advance();
    if (this.log.highestSeq !== null && this.log.highestSeq > this.upTo) this.noticeGap();
  }

  // An `error` frame that answers no message: when a resume is under way it failed (the
  // database was unavailable, or the page asked too often), so ask again shortly.
  // True when it was the resume's.
  resumeFailed(retryAfterMs) {
    if (!this.resuming) return false;
    this.resuming = false;
    setTimeout(() => this.sendResume(), retryAfterMs);
    return true;
  }

  // A seq is missing below one that arrived. Give out-of-order broadcasts a moment to land,
  // then ask for everything after the last unbroken seq and merge by seq.
  noticeGap() {
    if (this.resuming) {
      this.gapSeenWhileResuming = true;
      return;
    }
    if (this.gapTimer !== null) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      this.advance();
      const highest = this.log.highestSeq;
      if (this.ready && highest !== null && highest > this.upTo) this.sendResume();
    }, GAP_GRACE_MS);
  }

  // ---- Newer messages (a page opened on one message) ----

  nearBottom() {
    const s = this.log.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < LOAD_NEWER_WITHIN_PX;
  }

  setEnd(state) {
    const end = this.end;
    end.dataset.state = state;
    end.textContent = state === "loading" ? LOG.loadingNewer : "";
    if (state === "error") {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "small";
      retry.textContent = LOG.tryAgain;
      retry.addEventListener("click", () => this.loadNewer());
      end.append(LOG.newerFailed, retry);
    }
  }

  // The next page after the last seq shown; pages are authoritative, so every seq up to its
  // last is accounted for. At the end of the room the page rejoins the live log.
  async loadNewer() {
    if (!this.detached || this.loadingNewer) return;
    this.loadingNewer = true;
    this.setEnd("loading");
    let page;
    try {
      page = await this.fetchPage({ after_seq: this.upTo, limit: this.pageSize });
    } catch (error) {
      console.warn("Loading newer messages failed", error);
      this.loadingNewer = false;
      this.setEnd("error");
      return;
    }
    this.loadingNewer = false;
    if (!this.detached) return; // went live meanwhile
    this.log.appendPage(page.messages);
    if (page.messages.length) {
      this.upTo = Math.max(this.upTo, page.messages[page.messages.length - 1].seq);
    }
    if (!page.has_more) {
      this.attach();
      return;
    }
    this.setEnd("more");
    if (this.nearBottom()) this.loadNewer();
  }

  // Live from here on: the resume brings whatever was said after the last page, and live
  // messages flow again, merged by seq as always.
  attach() {
    this.detached = false;
    this.setEnd("live");
    window.history.replaceState(null, "", window.location.pathname);
    this.sendResume();
  }

  // Straight to the live end (to send, or from the pill): the newest page replaces the log.
  async goLive() {
    if (!this.detached) return;
    this.ready = false; // sends wait for the resume that follows
    let page;
    try {
      page = await this.fetchPage({ limit: this.pageSize });
    } catch (error) {
      console.warn("Loading the newest messages failed", error);
      this.setEnd("error");
      if (this.socket.isOpen) this.resumed(this.upTo); // stay where we are, able to send
      return;
    }
    if (!this.detached) return;
    this.log.clearSaved();
    for (const message of page.messages) this.log.put(message);
    this.upTo = this.log.highestSeq ?? 0;
    this.dispatchEvent(new CustomEvent("live", { detail: page }));
    this.log.scrollToBottom();
    this.attach();
  }
}
