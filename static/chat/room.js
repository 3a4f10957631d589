// The room page: keeps the log in step with the room over the socket of docs/protocol.md,
// sends what the person types exactly once, and pages back through history on demand.
import { Announcer } from "./announcer.js";
import { CharacterCounter } from "./counter.js";
import { manageFocus } from "./focus.js";
import { MessageLog } from "./log.js";
import { MessageActions } from "./own.js";
import { RoomSearch } from "./search.js";
import { ReconnectingSocket } from "./socket.js";

const GAP_GRACE_MS = 250; // broadcasts from several server processes may arrive out of order
const RESUME_RETRY_MS = 2000;
const LOAD_OLDER_WITHIN_PX = 200;
const LOAD_NEWER_WITHIN_PX = 200;

const root = document.querySelector("section.chat");
const initial = JSON.parse(document.getElementById("initial-history").textContent);
const me = JSON.parse(document.getElementById("current-user").textContent);
const statusNode = document.getElementById("connection-status");
const reconnectButton = document.getElementById("reconnect-now");
const composer = document.getElementById("composer");
const input = document.getElementById("composer-input");
const sendButton = composer.querySelector("button[type=submit]");
const pageSize = Number(root.dataset.pageSize) || 50;
// Set when the page was opened on one message (/chat/<slug>/?seq=N): see "Newer messages".
const targetSeq = JSON.parse(document.getElementById("target-seq").textContent);
const logEnd = document.getElementById("log-end");

const announcer = new Announcer({
  messages: document.getElementById("live-messages"),
  status: document.getElementById("live-status"),
  me,
});
const log = new MessageLog({
  scroller: document.getElementById("log-scroller"),
  list: document.getElementById("chat-log"),
  edge: document.getElementById("log-edge"),
  pill: document.getElementById("new-messages"),
  me,
  onAdded: (messages) => announcer.newMessages(messages),
  onPill: (shown) => announcer.newBelow(shown),
  permalink: (seq) => new URL(`${root.dataset.roomUrl}?seq=${seq}`, window.location.href).href,
  editWindowMs: Number(root.dataset.editWindowSeconds) * 1000,
});
const counter = new CharacterCounter({
  input,
  output: document.getElementById("composer-count"),
  max: Number(composer.dataset.maxChars) || 4000,
  announce: (text) => announcer.state(text),
});

// Every seq up to `upTo` is shown, or known not to exist (removed messages leave holes, and
// an answer to `resume` is authoritative). Resuming after it catches up exactly.
let upTo = 0;
let ready = false; // the socket is open and its resume has been answered
let resuming = false;
let gapTimer = null;
let gapSeenWhileResuming = false;
// A page opened on one message has newer messages to page through before the live end;
// until it reaches it, the page is `detached`: live messages wait, and no resume is sent.
let detached = Boolean(initial.has_more_after);
let loadingNewer = false;
let hasOlder = "has_more" in initial ? initial.has_more : Boolean(initial.has_more_before);
let olderLimited = Boolean(initial.history_limited); // retention removed what came before
let loadingOlder = false;

// Messages typed here and not yet acked, in the order they were typed. The client_id is
// kept across retries and reconnects, so the server saves each one once.
const outbox = new Map(); // client_id -> {clientId, body, state: queued|sent|error, error}

function advance() {
  while (log.has(upTo + 1)) upTo += 1;
}

// ---- Connection state, as the person sees it ----

function showStatus(state, text, link) {
  statusNode.dataset.state = state;
  statusNode.replaceChildren(text);
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    statusNode.append(" ", a);
  }
  reconnectButton.hidden = state !== "reconnecting";
  announcer.connection(state, text);
}

const STOPPED = {
  4401: ["signed-out", "You are signed out.", { href: root.dataset.loginUrl, text: "Log in again" }],
  4403: ["forbidden", "You are not allowed in this room."],
  4404: ["no-room", "This room does not exist any more."],
};

const socketUrl = new URL(root.dataset.wsPath, window.location.href);
socketUrl.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
const socket = new ReconnectingSocket(socketUrl.href);

const actions = new MessageActions({
  list: document.getElementById("chat-log"),
  log,
  socket,
  newClientId,
});

new RoomSearch({
  form: document.getElementById("search"),
  input: document.getElementById("search-input"),
  panel: document.getElementById("search-results"),
  searchUrl: root.dataset.searchUrl,
  room: root.dataset.room,
});

socket.addEventListener("statechange", ({ detail: { state, code } }) => {
  if (state === "stopped") {
    const [name, text, link] = STOPPED[code] ?? ["stopped", "Disconnected."];
    showStatus(name, text, link);
    setBlock("stopped", "Messages cannot be sent from this page any more.");
  } else if (state === "offline") {
    showStatus("offline", "Offline. Messages you send will go out when you are back online.");
  } else if (state === "connecting" && statusNode.dataset.state === "offline") {
    showStatus("reconnecting", "Back online. Reconnecting…");
  } else if (state === "waiting" && code === 1013) {
    showStatus("reconnecting", "The server is busy. Reconnecting…");
  } else if (state === "waiting" && code === 1012) {
    showStatus("reconnecting", "The server is restarting. Reconnecting…");
  } else if (state === "waiting" && code === 4429) {
    showStatus("reconnecting", "Too many connections: close other Parley tabs. Reconnecting…");
  } else if (state === "waiting") {
    showStatus("reconnecting", "Connection lost. Reconnecting…");
  }
  // "connecting" and "open" keep the current text: the page is connected only once its
  // resume is answered, and until then it is still connecting or reconnecting.
});

reconnectButton.addEventListener("click", () => socket.reconnectNow());

socket.addEventListener("open", () => {
  ready = false;
  sendResume();
});

socket.addEventListener("close", () => {
  ready = false;
  resuming = false;
  clearTimeout(gapTimer);
  gapTimer = null;
  // Whatever was sent and not acked may or may not have been saved; it goes out again with
  // the same client_id after the next resume, and the server keeps only one.
  for (const entry of outbox.values()) {
    if (entry.state === "sent") setEntryState(entry, "queued");
  }
});

socket.addEventListener("frame", ({ detail: frame }) => {
  switch (frame.type) {
    case "message":
      receiveLive(frame.message);
      break;
    case "history":
      receiveResumePage(frame.messages);
      break;
    case "resumed":
      resumed(frame.last_seq, Boolean(frame.has_more));
      break;
    case "ack":
      if (!actions.settle(frame)) acked(frame);
      break;
    case "error":
      if (!actions.settle(frame)) failed(frame);
      break;
    case "message.edited":
      if (frame.message) log.replace(frame.message);
      break;
    // Moderation: a message hidden, restored or deleted; the room renamed or made
    // read-only; this person muted or no longer muted.
    case "message.hidden":
      log.replace({ id: frame.id, seq: frame.seq, hidden: true });
      break;
    case "message.restored":
      if (frame.message) log.replace(frame.message);
      break;
    case "message.deleted":
      // By its author: a tombstone in its place, as history shows it. By a moderator, for
      // good: gone.
      if (frame.tombstone) log.replace({ id: frame.id, seq: frame.seq, deleted: true });
      else log.remove(frame.seq);
      break;
    case "room.updated":
      roomUpdated(frame.room ?? {});
      break;
    case "restriction":
      restricted(frame);
      break;
    default:
      // Newer servers may add frame types; older pages ignore them.
      break;
  }
});

// ---- Catching up ----

// The server answers each resume with one page and says whether more follow; the page asks
// again from where it stopped until it has everything, then counts as caught up.
function sendResume() {
  if (resuming || !socket.isOpen) return;
  if (detached) {
    // Nothing to catch up on yet: newer messages come page by page until the live end.
    resumed(upTo);
    return;
  }
  resuming = true;
  gapSeenWhileResuming = false;
  socket.send({ type: "resume", after_seq: upTo });
}

function receiveResumePage(messages) {
  for (const message of messages) settleOwn(message);
  log.append(messages);
}

function resumed(lastSeq, hasMore) {
  if (Number.isSafeInteger(lastSeq) && lastSeq > upTo) upTo = lastSeq;
  advance();
  if (hasMore) {
    socket.send({ type: "resume", after_seq: upTo });
    return;
  }
  resuming = false;
  if (!ready) {
    ready = true;
    socket.markHealthy();
    showStatus("connected", "Connected");
    flushOutbox();
  }
  if (gapSeenWhileResuming) noticeGap();
}

function receiveLive(message) {
  if (detached) {
    // Paging reaches it in order; the pill offers to go straight to the live end.
    log.showPill(true);
    return;
  }
  settleOwn(message);
  log.append([message]);
  advance();
  if (log.highestSeq !== null && log.highestSeq > upTo) noticeGap();
}

// A seq is missing below one that arrived. Give out-of-order broadcasts a moment to land,
// then ask for everything after the last unbroken seq and merge by seq.
function noticeGap() {
  if (resuming) {
    gapSeenWhileResuming = true;
    return;
  }
  if (gapTimer !== null) return;
  gapTimer = setTimeout(() => {
    gapTimer = null;
    advance();
    if (ready && log.highestSeq !== null && log.highestSeq > upTo) sendResume();
  }, GAP_GRACE_MS);
}

// ---- What stops this person from sending ----

// Reasons the composer is closed, by kind: stopped (the socket gave up), readOnly (the room
// is locked or archived), muted. Each holds the sentence shown above the composer.
const blocks = new Map();
const composerNote = document.getElementById("composer-note");
let muteTimer = null;

function setBlock(kind, text) {
  if (text) blocks.set(kind, text);
  else blocks.delete(kind);
  const closed = blocks.size > 0;
  // A disabled box drops its focus to the page; keep it in the room.
  if (closed && document.activeElement === input) log.scroller.focus();
  input.disabled = closed;
  sendButton.disabled = closed;
  composerNote.hidden = !closed;
  composerNote.textContent = [...blocks.values()].join(" ");
}

function roomUpdated(room) {
  if (room.name) {
    document.getElementById("room-name").textContent = room.name;
    document.title = `${room.name} · Parley`;
  }
  if (room.archived) setBlock("readOnly", "This room is archived: it can be read, not written in.");
  else if (room.locked) setBlock("readOnly", "This room is locked: it can be read, not written in.");
  else setBlock("readOnly", null);
}

function restricted({ kind, until, reason }) {
  clearTimeout(muteTimer);
  if (kind !== "mute") {
    setBlock("muted", null);
    return;
  }
  const end = until ? new Date(until) : null;
  let text = "You are muted in this room";
  if (end && !Number.isNaN(end.getTime())) {
    text += ` until ${end.toLocaleString()}`;
    // setTimeout cannot wait longer than about 24.8 days; a longer mute ends on a reload.
    const wait = end.getTime() - Date.now();
    if (wait < 2 ** 31 - 1) muteTimer = setTimeout(() => setBlock("muted", null), wait);
  }
  text += reason ? `: ${reason}` : ".";
  setBlock("muted", text);
}

// ---- Sending ----

function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  // randomUUID needs a secure context; plain-http deployments on a LAN get this instead.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function setEntryState(entry, state, error = null) {
  entry.state = state;
  entry.error = error;
  log.showPending(entry);
}

function send(body) {
  // A message goes at the live end: go there first; it goes out once there.
  if (detached) goLive();
  const entry = { clientId: newClientId(), body, state: "queued", error: null };
  outbox.set(entry.clientId, entry);
  log.showPending(entry);
  log.scrollToBottom();
  if (ready) transmit(entry);
}

function transmit(entry) {
  const sent = socket.send({ type: "message.send", body: entry.body, client_id: entry.clientId });
  setEntryState(entry, sent ? "sent" : "queued");
}

// After a resume, so anything already saved has been seen (and settled) first. Map order is
// typing order, and the server answers frames in order, so seqs follow typing order.
function flushOutbox() {
  for (const entry of outbox.values()) {
    if (entry.state === "queued" || entry.state === "sent") transmit(entry);
  }
}

// One of this person's messages arrived from the server: it is no longer waiting to be
// sent. (The log turns its pending element into the message.)
function settleOwn(message) {
  if (!message.client_id || message.author?.id !== me.id) return;
  outbox.delete(message.client_id);
}

function acked(frame) {
  const entry = outbox.get(frame.client_id);
  if (!entry) return;
  outbox.delete(entry.clientId);
  // Shown at its seq right away, in its pending element; the broadcast that follows replaces this copy with the
  // server's (which has the real timestamp).
  const message = {
    id: frame.id,
    seq: frame.seq,
    author: { id: me.id, username: me.username },
    body: entry.body,
    created_at: new Date().toISOString(),
    client_id: entry.clientId,
  };
  log.append([message], { follow: true, provisional: true });
  advance();
  if (log.highestSeq > upTo) noticeGap();
}

// Seconds the server asked to wait before trying again (rate_limited), in milliseconds.
function retryDelay(frame, fallback) {
  const seconds = Number(frame.retry_after);
  return frame.code === "rate_limited" && seconds > 0 ? seconds * 1000 : fallback;
}

function failed(frame) {
  if (frame.client_id) {
    const entry = outbox.get(frame.client_id);
    if (entry && frame.code === "rate_limited") {
      // Too many messages too fast: it goes out by itself once the server allows it.
      const wait = retryDelay(frame, RESUME_RETRY_MS);
      setEntryState(entry, "error", `Sending too fast; retrying in ${Math.ceil(wait / 1000)} s.`);
      setTimeout(() => {
        if (outbox.get(entry.clientId) !== entry || entry.state !== "error") return;
        setEntryState(entry, "queued");
        if (ready) transmit(entry);
      }, wait);
    } else if (entry) {
      setEntryState(entry, "error", frame.detail || "The message was not sent.");
    }
    if (frame.code === "room_locked") setBlock("readOnly", "This room is read-only.");
    if (frame.code === "muted") setBlock("muted", frame.detail || "You are muted in this room.");
    return;
  }
  if (resuming) {
    // The resume itself failed (the database was unavailable, or the page asked too
    // often): ask again shortly.
    resuming = false;
    setTimeout(sendResume, retryDelay(frame, RESUME_RETRY_MS));
    return;
  }
  console.warn("Error from the server", frame);
}

document.getElementById("chat-log").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const clientId = button.closest("li")?.dataset.clientId;
  const entry = outbox.get(clientId);
  if (!entry) return;
  if (button.dataset.action === "retry") {
    setEntryState(entry, "queued");
    if (ready) transmit(entry);
  } else if (button.dataset.action === "discard") {
    outbox.delete(clientId);
    log.removePending(clientId);
    input.focus();
  }
});

function submit() {
  const body = input.value.trim();
  if (!body || blocks.size > 0) return;
  if (counter.isOver) {
    announcer.state(`Not sent: ${document.getElementById("composer-count").textContent}.`);
    return;
  }
  send(body);
  input.value = "";
  fitInput();
  counter.update();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
  input.focus();
});

input.addEventListener("keydown", (event) => {
  // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is
  // neither.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
    return;
  }
  event.preventDefault();
  submit();
});

// The box grows with its text up to a few lines, then scrolls.
function fitInput() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
}
input.addEventListener("input", fitInput);

// ---- Older messages ----

async function loadOlder() {
  if (loadingOlder || !hasOlder) return;
  const before = log.lowestSeq;
  if (before === null) {
    hasOlder = false;
    log.setEdge(edgeState());
    return;
  }
  loadingOlder = true;
  log.setEdge("loading");
  let page;
  try {
    const url = new URL(root.dataset.historyUrl, window.location.href);
    url.searchParams.set("before_seq", String(before));
    url.searchParams.set("limit", String(pageSize));
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      showStatus("signed-out", ...STOPPED[4401].slice(1));
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error(`history answered ${response.status}`);
    page = await response.json();
  } catch (error) {
    console.warn("Loading earlier messages failed", error);
    loadingOlder = false;
    log.setEdge("error", () => loadOlder());
    return;
  }
  hasOlder = Boolean(page.has_more);
  olderLimited = Boolean(page.history_limited);
  log.prepend(page.messages, edgeState());
  loadingOlder = false;
  // A tall window may still show the top; keep going until it is filled.
  if (hasOlder && log.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) loadOlder();
}

function edgeState() {
  if (hasOlder) return "more";
  return olderLimited ? "limited" : "beginning";
}

log.scroller.addEventListener(
  "scroll",
  () => {
    if (log.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) loadOlder();
  },
  { passive: true },
);

// ---- Newer messages (a page opened on one message) ----

async function fetchHistory(params) {
  const url = new URL(root.dataset.historyUrl, window.location.href);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
  const response = await fetch(url, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`history answered ${response.status}`);
  return response.json();
}

function nearBottom() {
  const s = log.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < LOAD_NEWER_WITHIN_PX;
}

function setEnd(state) {
  logEnd.dataset.state = state;
  logEnd.textContent = state === "loading" ? "Loading newer messages…" : "";
  if (state === "error") {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "small";
    retry.textContent = "Try again";
    retry.addEventListener("click", () => loadNewer());
    logEnd.append("Newer messages could not be loaded. ", retry);
  }
}

// The next page after the last seq shown; pages are authoritative, so every seq up to its
// last is accounted for. At the end of the room the page rejoins the live log.
async function loadNewer() {
  if (!detached || loadingNewer) return;
  loadingNewer = true;
  setEnd("loading");
  let page;
  try {
    page = await fetchHistory({ after_seq: upTo, limit: pageSize });
  } catch (error) {
    console.warn("Loading newer messages failed", error);
    loadingNewer = false;
    setEnd("error");
    return;
  }
  loadingNewer = false;
  if (!detached) return; // went live meanwhile
  log.appendPage(page.messages);
  if (page.messages.length) upTo = Math.max(upTo, page.messages[page.messages.length - 1].seq);
  if (!page.has_more) {
    attach();
    return;
  }
  setEnd("more");
  if (nearBottom()) loadNewer();
}

// Live from here on: the resume brings whatever was said after the last page, and live
// messages flow again, merged by seq as always.
function attach() {
  detached = false;
  setEnd("live");
  window.history.replaceState(null, "", window.location.pathname);
  sendResume();
}

// Straight to the live end (to send, or from the pill): the newest page replaces the log.
async function goLive() {
  if (!detached) return;
  ready = false; // sends wait for the resume that follows
  let page;
  try {
    page = await fetchHistory({ limit: pageSize });
  } catch (error) {
    console.warn("Loading the newest messages failed", error);
    setEnd("error");
    if (socket.isOpen) resumed(upTo); // stay where we are, able to send
    return;
  }
  if (!detached) return;
  log.clearSaved();
  for (const message of page.messages) log.put(message);
  upTo = log.highestSeq ?? 0;
  hasOlder = Boolean(page.has_more);
  olderLimited = Boolean(page.history_limited);
  log.setEdge(edgeState());
  log.scrollToBottom();
  attach();
}

log.pill.addEventListener("click", () => goLive());
// Escape means "to the latest message" (focus.js); on a linked page that is the live end.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.isComposing && !event.defaultPrevented) goLive();
});
log.scroller.addEventListener(
  "scroll",
  () => {
    if (detached && nearBottom()) loadNewer();
  },
  { passive: true },
);

// ---- Start ----

for (const message of initial.messages) log.put(message);
upTo = log.highestSeq ?? 0;
log.setEdge(edgeState());
setEnd(detached ? "more" : "live");
if (root.dataset.readOnly) setBlock("readOnly", root.dataset.readOnly);
restricted(JSON.parse(document.getElementById("current-restriction").textContent));
if (targetSeq === null || !log.highlight(targetSeq)) log.scrollToBottom();
if (hasOlder && log.scroller.scrollHeight <= log.scroller.clientHeight) loadOlder();
// A page too short to scroll could never reach the live end by scrolling.
if (detached && log.scroller.scrollHeight <= log.scroller.clientHeight) loadNewer();
manageFocus({
  input,
  scroller: log.scroller,
  log,
  skipLink: document.getElementById("skip-to-composer"),
});
// Opened on one message: it is what the person came to read, so it has focus, not the box.
if (targetSeq !== null) log.items.get(targetSeq)?.node.focus({ preventScroll: true });
socket.start();
