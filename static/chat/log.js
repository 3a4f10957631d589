// The message log: messages keyed by seq and shown in seq order, followed by this person's
// messages that the server has not confirmed yet. Chat text only ever reaches the page
// through textContent and DOM nodes (text.js), never as HTML.
//
// Each message has one element for its whole life: the pending copy typed here becomes the
// acked copy, then the server's, and a hidden or restored message changes in place. So
// keyboard focus on a message survives every change, and `onAdded` hears of each message
// once, when it first joins the log live (pages of history never reach it).
//
// Between messages the list also holds lines that are not messages: a day separator above
// the first message of each day (days.js), and the "New messages" line above the first
// message the person had not read when the room opened. They are list items without a seq,
// never focusable, and each sits right before the message it introduces (the day first).
import { dayKey, dayLabel, fullDate, timeElement, untilMidnight } from "./days.js";
import { markMention } from "./mentions.js";
import { renderBody } from "./text.js";
import { LOG, PILL, SENDING, editedAt } from "./wording.js";

// Within this many pixels of the bottom counts as "at the bottom", so a rounding error or
// a half-visible last line does not stop the log from following new messages.
const BOTTOM_SLACK = 48;
// Further up than this, the "Jump to latest" button appears.
const JUMP_FROM_PX = 200;

// A message element (not a separator line) next to `node`, in the direction `step`.
function messageSibling(node, step) {
  let next = node?.[step];
  while (next && !next.classList.contains("msg")) next = next[step];
  return next ?? null;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Text people wrote (a body, a username): isolated from what surrounds it, so a bidi
// override inside cannot reorder the rest of the page, and laid out in its own direction.
function userText(tag, className, text) {
  const node = element(tag, className, text);
  node.dir = "auto";
  return node;
}

function actionButton(action, text) {
  const button = element("button", "small link", text);
  button.type = "button";
  button.dataset.action = action;
  return button;
}

export class MessageLog {
  // onAdded(messages): messages that joined the log live, in one batch. onPill(shown): the
  // "New messages" button appeared or went (not when it only offers to jump to the latest).
  // permalink(seq): the URL that opens the room on a message. editWindowMs: how long after
  // sending people may edit their own (0: never).
  constructor({
    scroller,
    list,
    edge,
    pill,
    me,
    onAdded = () => {},
    onPill = () => {},
    permalink = null,
    editWindowMs = 0,
  }) {
    this.scroller = scroller;
    this.list = list;
    this.edge = edge;
    this.pill = pill;
    this.me = me;
    this.onAdded = onAdded;
    this.onPill = onPill;
    this.permalink = permalink;
    this.editWindowMs = editWindowMs;
    this.seqs = []; // ascending; the seqs rendered in the list
    this.items = new Map(); // seq -> {message, node, provisional, day}
    this.pending = new Map(); // client_id -> node
    this.dayLines = new Map(); // seq -> the day separator above that message
    // The "New messages" line: {after, node, seq}, above `seq`, the first seq > `after`.
    this.unread = null;
    this.pillState = "hidden"; // hidden | latest (scrolled up) | new (new messages below)

    pill.addEventListener("click", () => this.jumpToLatest());
    // Whether the person is following the newest messages: set at the bottom, cleared when
    // they scroll away. The log's box changes size after it is filled (the people list and
    // the typing line above it appear, the sidebar loads), and a person at the bottom must
    // stay there rather than find the newest message half hidden.
    this.following = false;
    new ResizeObserver(() => {
      if (this.following) this.scroller.scrollTop = this.scroller.scrollHeight;
    }).observe(scroller);
    scroller.addEventListener(
      "scroll",
      () => {
        this.following = this.isAtBottom();
        if (this.following) this.showPill(false);
        else if (this.pillState === "hidden" && this.distanceFromBottom() > JUMP_FROM_PX) {
          this.setPill("latest");
        }
      },
      { passive: true },
    );
    this.relabelAtMidnight();
  }

  // The button at the bottom of the log: "New messages" when some arrived below the view
  // (said once to screen readers), "Jump to latest" when the person has scrolled up.
  showPill(shown) {
    if (shown) this.setPill("new");
    else this.setPill("hidden");
  }

  setPill(state) {
    const before = this.pillState;
    if (before === state) return;
    // The button is about to go while it has focus: focus the latest message instead of
    // letting it fall to the page.
    if (state === "hidden" && this.pill.contains(document.activeElement)) {
      this.latestNode()?.focus();
    }
    this.pillState = state;
    this.pill.hidden = state === "hidden";
    this.pill.dataset.state = state;
    if (state !== "hidden") {
      const arrow = element("span", "", " ↓");
      arrow.setAttribute("aria-hidden", "true");
      this.pill.replaceChildren(state === "new" ? PILL.newMessages : PILL.latest, arrow);
    }
    if (state === "new") this.onPill(true);
    else if (before === "new") this.onPill(false);
  }

  latestNode() {
    let node = this.list.lastElementChild;
    while (node && !node.classList.contains("msg")) node = node.previousElementSibling;
    return node;
  }

  // Escape, or the "New messages" button: to the bottom, with focus on the latest message
  // so a screen reader reads it and the arrow keys go on from there.
  jumpToLatest() {
    this.scrollToBottom();
    this.latestNode()?.focus({ preventScroll: true });
  }

  has(seq) {
    return this.items.has(seq);
  }

  get lowestSeq() {
    return this.seqs.length ? this.seqs[0] : null;
  }

  get highestSeq() {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : null;
  }

  // Adds a message, or replaces one shown provisionally (from its ack) with the server's
  // copy. A seq already shown for real is left alone: that is the dedupe.
  // Returns true when something new was added.
  put(message, { provisional = false } = {}) {
    const seq = message.seq;
    if (!Number.isSafeInteger(seq)) return false;
    const existing = this.items.get(seq);
    if (existing) {
      if (existing.provisional && !provisional) {
        this.fill(existing.node, message);
        const day = dayKey(message.created_at);
        this.items.set(seq, { message, node: existing.node, provisional: false, day });
        // The server's time, not this browser's clock, says which day it belongs to.
        const index = this.insertionIndex(seq);
        this.syncDay(index);
        this.syncDay(index + 1);
      }
      // Its pending copy, if one is somehow still shown, is this message.
      this.removePending(this.ownClientId(message));
      return false;
    }
    // This person's message, typed here: its pending element becomes the message.
    const clientId = this.ownClientId(message);
    const node = this.pending.get(clientId) ?? element("li");
    this.pending.delete(clientId);
    this.fill(node, message);
    const index = this.insertionIndex(seq);
    const before =
      index < this.seqs.length ? this.firstNodeOf(this.seqs[index]) : this.firstPendingNode();
    // Moved only when it is not in place already: moving it would drop its focus.
    if (node.parentNode !== this.list || node.nextSibling !== before) {
      this.list.insertBefore(node, before);
    }
    this.seqs.splice(index, 0, seq);
    this.items.set(seq, { message, node, provisional, day: dayKey(message.created_at) });
    this.placeUnreadLine();
    this.syncDay(index);
    this.syncDay(index + 1);
    return true;
  }

  // The first element of a message's stretch of the list: its day separator, else the
  // "New messages" line above it, else the message itself.
  firstNodeOf(seq) {
    const unread = this.unread?.seq === seq ? this.unread.node : null;
    return this.dayLines.get(seq) ?? unread ?? this.items.get(seq).node;
  }

  // ---- Day separators ----

  // The message at `index` opens a day (it is the first shown, or the one before it is of
  // another day): it gets a separator, or keeps it with the right words; else it has none.
  syncDay(index) {
    if (index >= this.seqs.length) return;
    const seq = this.seqs[index];
    const item = this.items.get(seq);
    const previous = index > 0 ? this.items.get(this.seqs[index - 1]).day : null;
    const opens = item.day !== null && item.day !== previous;
    let line = this.dayLines.get(seq);
    if (!opens) {
      line?.remove();
      this.dayLines.delete(seq);
      return;
    }
    if (!line) {
      line = element("li", "day-line");
      line.append(element("h2", "day-label"));
      this.dayLines.set(seq, line);
    }
    line.dataset.day = item.day;
    line.firstChild.textContent = dayLabel(item.day);
    const after = this.unread?.seq === seq ? this.unread.node : item.node;
    if (line.nextSibling !== after) this.list.insertBefore(line, after);
  }

  // "Today" becomes "Yesterday" at midnight, whenever the page stays open over one.
  relabelAtMidnight() {
    setTimeout(() => {
      for (const line of this.dayLines.values()) {
        line.firstChild.textContent = dayLabel(line.dataset.day);
      }
      this.relabelAtMidnight();
    }, untilMidnight() + 1000);
  }

  // ---- The "New messages" line ----

  // Shows the line above the first message after `afterSeq` (the read position when the
  // room opened), now and as older pages bring earlier ones; null takes it away.
  setUnreadLine(afterSeq) {
    if (afterSeq === null) {
      this.unread?.node.remove();
      this.unread = null;
      return;
    }
    if (!this.unread) {
      const node = element("li", "unread-line");
      node.id = "unread-line";
      node.append(element("span", "", LOG.newMessagesLine));
      this.unread = { after: afterSeq, node, seq: null };
    }
    this.unread.after = afterSeq;
    this.placeUnreadLine();
  }

  placeUnreadLine() {
    const unread = this.unread;
    if (!unread) return;
    const index = this.insertionIndex(unread.after + 1);
    const seq = index < this.seqs.length ? this.seqs[index] : null;
    if (seq === null) {
      unread.node.remove();
      unread.seq = null;
      return;
    }
    if (unread.seq === seq && unread.node.nextSibling === this.items.get(seq).node) return;
    unread.seq = seq;
    this.list.insertBefore(unread.node, this.items.get(seq).node);
  }

  ownClientId(message) {
    const own = message.client_id && message.author?.id === this.me.id;
    return own ? message.client_id : undefined;
  }

  insertionIndex(seq) {
    // Messages almost always arrive at either end, so check those before searching.
    const seqs = this.seqs;
    if (seqs.length === 0 || seq > seqs[seqs.length - 1]) return seqs.length;
    if (seq < seqs[0]) return 0;
    let low = 0;
    let high = seqs.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (seqs[middle] < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  firstPendingNode() {
    for (const node of this.pending.values()) return node;
    return null;
  }

  // Makes `node` show `message`, whatever it showed before (a pending copy, an earlier
  // version): the element stays, so focus on it stays.
  fill(node, message) {
    delete node.dataset.clientId;
    delete node.dataset.state;
    node.dataset.seq = String(message.seq);
    node.tabIndex = -1;
    if (message.deleted) {
      // A tombstone: its author deleted it.
      node.className = "msg removed deleted";
      node.replaceChildren(element("div", "body", LOG.deleted));
      return;
    }
    if (message.hidden) {
      // A tombstone: the seq exists, its content is withheld by a moderator.
      node.className = "msg removed";
      node.replaceChildren(element("div", "body", LOG.hidden));
      return;
    }
    const own = message.author !== null && message.author?.id === this.me.id;
    node.className = own ? "msg own" : "msg";
    const meta = element("div", "meta");
    const author = message.author
      ? userText("span", "author", message.author.username)
      : element("span", "author gone", LOG.deletedAccount);
    meta.append(author, " ", timeElement(message.created_at));
    if (message.edited_at) {
      const edited = element("span", "edited", LOG.edited);
      const when = fullDate(message.edited_at);
      if (when) edited.title = editedAt(when);
      meta.append(" ", edited);
    }
    meta.append(this.actions(message, own));
    const body = userText("div", "body");
    body.append(renderBody(message.body ?? "", { me: this.me }));
    node.replaceChildren(meta, body);
    markMention(node, message, this.me);
  }

  // What one can do with a message: link to it, and edit or delete one's own (own.js).
  // Out of the Tab order until Enter on their focused message brings them in (own.js), so
  // that Tab does not walk through every message of the log on its way to the message box.
  actions(message, own) {
    const actions = element("span", "msg-actions");
    if (this.permalink) {
      const link = element("a", "permalink", LOG.copyLink);
      link.href = this.permalink(message.seq);
      link.dataset.action = "copy-link";
      actions.append(link);
    }
    if (own && this.canEdit(message)) actions.append(" ", actionButton("edit", LOG.edit));
    if (own) actions.append(" ", actionButton("delete", LOG.delete));
    for (const control of actions.children) control.tabIndex = -1;
    return actions;
  }

  canEdit(message) {
    const sent = Date.parse(message.created_at);
    return this.editWindowMs > 0 && !(Date.now() - sent > this.editWindowMs);
  }

  // Forgets every saved message (not the pending ones), to show another stretch of the room.
  clearSaved() {
    for (const { node } of this.items.values()) node.remove();
    for (const line of this.dayLines.values()) line.remove();
    this.unread?.node.remove();
    if (this.unread) this.unread.seq = null;
    this.items.clear();
    this.dayLines.clear();
    this.seqs = [];
  }

  // Adds newer messages below without moving the view: paging towards the live end. Like
  // pages of older history, they are not announced (onAdded).
  appendPage(messages) {
    for (const message of messages) this.put(message);
  }

  // Scrolls a message to the middle of the view and marks it as the one linked to.
  highlight(seq) {
    const item = this.items.get(seq);
    if (!item) return false;
    for (const old of this.list.querySelectorAll("li.target")) old.classList.remove("target");
    item.node.classList.add("target");
    item.node.scrollIntoView({ block: "center" });
    return true;
  }

  // Shows a new version of a message already in the log (hidden, or restored), in place.
  replace(message) {
    const existing = this.items.get(message.seq);
    if (!existing) return;
    // A tombstone frame carries no time; the message keeps its day (and its separator).
    const kept = { created_at: existing.message.created_at, ...message };
    this.fill(existing.node, kept);
    this.items.set(message.seq, { ...existing, message: kept, provisional: false });
  }

  // Takes a message out of the log for good; its seq stays accounted for. Focus on it moves
  // to the message after it (or before it, or the log itself), never to the page.
  remove(seq) {
    const existing = this.items.get(seq);
    if (!existing) return;
    const node = existing.node;
    if (node.contains(document.activeElement)) {
      const next =
        messageSibling(node, "nextElementSibling") ??
        messageSibling(node, "previousElementSibling") ??
        this.scroller;
      next.focus({ preventScroll: true });
    }
    node.remove();
    this.dayLines.get(seq)?.remove();
    this.dayLines.delete(seq);
    this.items.delete(seq);
    const index = this.insertionIndex(seq);
    this.seqs.splice(index, 1);
    this.placeUnreadLine();
    this.syncDay(index);
  }

  // A message typed here and not yet saved; `entry` is the composer's outbox entry.
  showPending(entry) {
    let node = this.pending.get(entry.clientId);
    if (!node) {
      node = element("li", "msg own pending");
      node.tabIndex = -1;
      node.dataset.clientId = entry.clientId;
      const meta = element("div", "meta");
      meta.append(userText("span", "author", this.me.username), " ", element("span", "note"));
      node.append(meta, userText("div", "body", entry.body));
      this.list.append(node);
      this.pending.set(entry.clientId, node);
    }
    node.dataset.state = entry.state;
    node.querySelector(".note").textContent = SENDING[entry.state] ?? "";
    node.querySelector(".problem")?.remove();
    if (entry.state === "error") {
      const problem = element("div", "problem");
      problem.setAttribute("role", "alert");
      const retry = element("button", "small", SENDING.retry);
      retry.type = "button";
      retry.dataset.action = "retry";
      const discard = element("button", "small link", SENDING.discard);
      discard.type = "button";
      discard.dataset.action = "discard";
      problem.append(element("span", "detail", entry.error), " ", retry, " ", discard);
      node.append(problem);
    }
    return node;
  }

  removePending(clientId) {
    const node = this.pending.get(clientId);
    if (!node) return;
    if (node.contains(document.activeElement)) {
      const next =
        messageSibling(node, "previousElementSibling") ??
        messageSibling(node, "nextElementSibling") ??
        this.scroller;
      next.focus();
    }
    node.remove();
    this.pending.delete(clientId);
  }

  distanceFromBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight;
  }

  isAtBottom() {
    return this.distanceFromBottom() <= BOTTOM_SLACK;
  }

  // The newest message the person can see now: the last one whose top is above the
  // bottom edge of the view (null when none is).
  newestVisibleSeq() {
    const bottom = this.scroller.getBoundingClientRect().bottom;
    for (let index = this.seqs.length - 1; index >= 0; index -= 1) {
      const node = this.items.get(this.seqs[index]).node;
      if (node.getBoundingClientRect().top < bottom) return this.seqs[index];
    }
    return null;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.following = true;
    this.showPill(false);
  }

  // Adds newer messages the way a reader expects: a person at the bottom keeps following
  // the conversation; a person reading further up stays where they are and gets the pill.
  append(messages, { follow = false, provisional = false } = {}) {
    const stick = follow || this.isAtBottom();
    const added = messages.filter((message) => this.put(message, { provisional }));
    if (added.length) this.onAdded(added);
    if (stick) {
      this.scrollToBottom();
    } else if (added.length) {
      this.showPill(true);
    }
  }

  // Adds older messages above the ones shown without moving what the person is reading:
  // the distance from the bottom of the content is kept, so the view stays put.
  prepend(messages, edgeState) {
    const s = this.scroller;
    const fromBottom = s.scrollHeight - s.scrollTop;
    for (const message of messages) this.put(message);
    this.setEdge(edgeState);
    s.scrollTop = s.scrollHeight - fromBottom;
  }

  // The line above the oldest message: more | loading | beginning | limited | error.
  setEdge(state, onRetry) {
    const edge = this.edge;
    edge.dataset.state = state;
    edge.replaceChildren();
    if (state === "loading") {
      edge.textContent = LOG.loadingOlder;
    } else if (state === "beginning") {
      edge.textContent = LOG.beginning;
    } else if (state === "limited") {
      edge.textContent = LOG.limited;
    } else if (state === "error") {
      const retry = element("button", "small", LOG.tryAgain);
      retry.type = "button";
      retry.addEventListener("click", onRetry);
      edge.append(LOG.olderFailed, retry);
    }
  }
}
