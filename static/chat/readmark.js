// Where the person has read up to in this room (docs/protocol.md, "read"), and what the page
// does with it: the "New messages" line above the first message they had not read when the
// room opened, marking read as they actually see the newest messages (the tab visible and
// focused, the message in view), and the unread count in the tab's title.
//
// Reads are coalesced here: at most one `read` frame every READ_EVERY_MS, carrying the
// newest seq seen, so scrolling through a busy room costs the server one write per two
// seconds at most.
import { titleWithCount } from "./wording.js";

const READ_EVERY_MS = 2000;

export class ReadTracker {
  // lastReadSeq: the person's position when the page was rendered (null when unknown).
  // canSend(): the socket is open and caught up.
  constructor({ socket, log, me, slug, lastReadSeq, canSend }) {
    this.socket = socket;
    this.log = log;
    this.me = me;
    this.slug = slug;
    this.canSend = canSend;
    this.known = Number.isSafeInteger(lastReadSeq);
    this.lastRead = this.known ? lastReadSeq : 0; // read here, or in another tab
    this.sent = this.lastRead; // the newest position the server has been told of
    this.sentAt = 0;
    this.timer = null;
    this.frame = null;

    log.scroller.addEventListener("scroll", () => this.soon(), { passive: true });
    window.addEventListener("focus", () => this.soon());
    document.addEventListener("visibilitychange", () => this.soon());
  }

  // The page's messages are in the log: the line goes above the first one not read yet,
  // and when it is out of view the log opens on it rather than at the bottom. A page
  // opened on one message (withLine false) is there to show that message instead.
  open({ withLine = true } = {}) {
    const highest = this.log.highestSeq;
    if (!this.known) {
      // A page that was not told the position counts what it opened with as read.
      this.known = true;
      this.lastRead = this.sent = highest ?? 0;
      this.showCount();
      return;
    }
    if (withLine && highest !== null && highest > this.lastRead) {
      this.log.setUnreadLine(this.lastRead);
      const line = this.log.unread?.node;
      if (line?.isConnected) {
        const scroller = this.log.scroller;
        const top = line.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
        if (top < 0) scroller.scrollTop += top;
      }
    }
    this.seen();
  }

  // Messages joined the log live: one's own count as read (the server moved the position
  // when it saved them), and the others may be in view.
  added(messages) {
    for (const message of messages) {
      if (message.author?.id === this.me.id && message.seq > this.lastRead) {
        this.lastRead = message.seq;
        this.sent = Math.max(this.sent, message.seq);
      }
    }
    this.seen();
  }

  // A `read` frame: this person read up to `seq` somewhere (here, or another tab).
  readElsewhere(frame) {
    if (frame.room !== this.slug || !Number.isSafeInteger(frame.seq)) return;
    this.lastRead = Math.max(this.lastRead, frame.seq);
    this.sent = Math.max(this.sent, frame.seq);
    this.showCount();
  }

  // Once a frame: scroll events come many times a frame.
  soon() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.seen();
    });
  }

  // What the person can see now counts as read when they are looking at the page.
  seen() {
    if (document.visibilityState === "visible" && document.hasFocus()) {
      const seq = this.log.newestVisibleSeq();
      if (seq !== null && seq > this.lastRead) {
        this.lastRead = seq;
        this.schedule();
      }
    }
    this.showCount();
  }

  schedule() {
    if (this.timer !== null || this.lastRead <= this.sent) return;
    const wait = Math.max(0, this.sentAt + READ_EVERY_MS - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  // Also called when the page is caught up again after a reconnect.
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.lastRead <= this.sent || !this.canSend()) return;
    if (this.socket.send({ type: "read", seq: this.lastRead })) {
      this.sent = this.lastRead;
      this.sentAt = Date.now();
    }
  }

  // Messages after the read position that others wrote and that are still there; those
  // of an unread stretch not loaded yet (above the oldest shown) count as one each.
  get unreadCount() {
    let count = 0;
    for (let index = this.log.seqs.length - 1; index >= 0; index -= 1) {
      const seq = this.log.seqs[index];
      if (seq <= this.lastRead) break;
      const { message } = this.log.items.get(seq);
      const own = message.author?.id === this.me.id;
      if (!own && !message.hidden && !message.deleted) count += 1;
    }
    const lowest = this.log.lowestSeq;
    if (lowest !== null && lowest - 1 > this.lastRead) count += lowest - 1 - this.lastRead;
    return count;
  }

  // "(3) Room · Parley": the count first, so it shows in a narrow tab.
  showCount() {
    const title = titleWithCount(document.title, this.known ? this.unreadCount : 0);
    if (document.title !== title) document.title = title;
  }
}
