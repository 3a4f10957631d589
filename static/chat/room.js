// The room page: wiring only. Each job lives in a module of its own, with its state inside
// it: the socket (socket.js), the log (log.js), catching up (catchup.js), older pages
// (scrollback.js), what is being sent (outbox.js), the message box (composer.js), the
// connection line (status.js), one's own messages (own.js), search (search.js), what screen
// readers hear (announcer.js), the read position and the title's count (readmark.js), "My
// rooms" beside the room (sidebar.js, over a socket of its own), who is here
// (presence.js), who is typing (typing.js), mentions (mentions.js, autocomplete.js,
// notify.js). Frames reach their handlers through one dispatcher (dispatch.js): a new frame
// type is one more `frames.on(...)` below.
import { Announcer } from "./announcer.js";
import { MentionCompleter } from "./autocomplete.js";
import { CatchUp } from "./catchup.js";
import { Composer } from "./composer.js";
import { FrameDispatcher, socketUrl } from "./dispatch.js";
import { manageFocus } from "./focus.js";
import { fetchHistory } from "./history.js";
import { MessageLog } from "./log.js";
import { MentionNotifier } from "./notify.js";
import { Outbox, newClientId, retryDelay } from "./outbox.js";
import { MessageActions } from "./own.js";
import { WhoIsHere } from "./presence.js";
import { ReadTracker } from "./readmark.js";
import { Scrollback } from "./scrollback.js";
import { RoomSearch } from "./search.js";
import { startMyRooms } from "./sidebar.js";
import { ReconnectingSocket } from "./socket.js";
import { ConnectionStatus } from "./status.js";
import { TypingIndicator, TypingSender } from "./typing.js";

const byId = (id) => document.getElementById(id);
const data = (id) => JSON.parse(byId(id).textContent);

const root = document.querySelector("section.chat");
const initial = data("initial-history");
const me = data("current-user");
// Set when the page was opened on one message (/chat/<slug>/?seq=N): see catchup.js.
const targetSeq = data("target-seq");
const pageSize = Number(root.dataset.pageSize) || 50;
const fetchPage = (params) => fetchHistory(root.dataset.historyUrl, params);

const announcer = new Announcer({
  messages: byId("live-messages"),
  status: byId("live-status"),
  me,
});
const log = new MessageLog({
  scroller: byId("log-scroller"),
  list: byId("chat-log"),
  edge: byId("log-edge"),
  pill: byId("new-messages"),
  me,
  onAdded: (messages) => {
    announcer.newMessages(messages);
    reads.added(messages);
  },
  onPill: (shown) => announcer.newBelow(shown),
  permalink: (seq) => new URL(`${root.dataset.roomUrl}?seq=${seq}`, window.location.href).href,
  editWindowMs: Number(root.dataset.editWindowSeconds) * 1000,
});
const socket = new ReconnectingSocket(socketUrl(root.dataset.wsPath));
const frames = new FrameDispatcher(socket);
const status = new ConnectionStatus({
  node: byId("connection-status"),
  reconnectButton: byId("reconnect-now"),
  socket,
  announcer,
  loginUrl: root.dataset.loginUrl,
});
const catchup = new CatchUp({
  socket,
  log,
  end: byId("log-end"),
  fetchPage,
  pageSize,
  detached: Boolean(initial.has_more_after),
});
const scrollback = new Scrollback({
  log,
  fetchPage,
  pageSize,
  page: initial,
  onSignedOut: () => status.signedOut(),
});
// Registered before the composer's, so that Enter picks a name while the list is open.
new MentionCompleter({
  input: byId("composer-input"),
  listbox: byId("mention-options"),
  membersUrl: root.dataset.membersUrl,
  announce: (text) => announcer.state(text),
});
const composer = new Composer({
  form: byId("composer"),
  input: byId("composer-input"),
  note: byId("composer-note"),
  count: byId("composer-count"),
  announcer,
  scroller: log.scroller,
  onSend: (body) => {
    // A message goes at the live end: go there first; it goes out once there.
    if (catchup.detached) catchup.goLive();
    outbox.send(body);
    typingSender.sent();
  },
});
const typingSender = new TypingSender({
  input: composer.input,
  send: () => socket.send({ type: "typing" }),
});
const typing = new TypingIndicator({ node: byId("typing"), me });
const people = new WhoIsHere({
  section: byId("people-list").closest("section"),
  list: byId("people-list"),
  count: byId("people-count"),
  me,
});
const notifier = new MentionNotifier({
  button: byId("notify-mentions"),
  me,
  roomName: () => byId("room-name").textContent,
  onOpen: (seq) => log.highlight(seq),
});
const outbox = new Outbox({
  socket,
  log,
  me,
  canSend: () => catchup.ready,
  onAcked: () => catchup.added(),
  onRefused: (code, detail) => composer.refused(code, detail),
  onDiscarded: () => composer.input.focus(),
});
const reads = new ReadTracker({
  socket,
  log,
  me,
  slug: root.dataset.room,
  lastReadSeq: data("last-read-seq"),
  canSend: () => catchup.ready,
});
const actions = new MessageActions({ list: log.list, log, socket, newClientId });
new RoomSearch({
  form: byId("search"),
  input: byId("search-input"),
  panel: byId("search-results"),
  searchUrl: root.dataset.searchUrl,
  room: root.dataset.room,
});

status.addEventListener("stopped", () => composer.stopped());
// Nobody's typing or presence can be renewed while the socket is down.
socket.addEventListener("close", () => {
  typing.clear();
  people.stale();
});
catchup.addEventListener("messages", ({ detail: messages }) => outbox.settle(messages));
catchup.addEventListener("ready", () => {
  socket.markHealthy();
  status.connected();
  outbox.flush();
  reads.flush();
});
catchup.addEventListener("live", ({ detail: page }) => scrollback.reset(page));

// ---- Frames from the server (docs/protocol.md), to the module that handles each ----

frames
  .on("message", (frame) => catchup.receiveLive(frame.message))
  .on("message", (frame) => {
    if (frame.message?.author) typing.stopped(frame.message.author.id);
    notifier.message(frame.message);
  })
  .on("presence", (frame) => people.reset(frame.users))
  .on("presence.join", (frame) => people.join(frame.user))
  .on("presence.leave", (frame) => {
    people.leave(frame.user);
    if (frame.user) typing.stopped(frame.user.id);
  })
  .on("typing", (frame) => typing.typing(frame.user))
  .on("history", (frame) => catchup.receivePage(frame.messages))
  .on("resumed", (frame) => catchup.resumed(frame.last_seq, Boolean(frame.has_more)))
  // An ack or an error answers an edit or delete (own.js) or a message being sent.
  .on("ack", (frame) => actions.settle(frame))
  .on("ack", (frame) => outbox.acked(frame))
  .on("error", (frame) => actions.settle(frame))
  .on("error", (frame) => outbox.failed(frame))
  .on("error", (frame) => catchup.resumeFailed(retryDelay(frame)))
  .on("error", (frame) => console.warn("Error from the server", frame))
  .on("message.edited", (frame) => {
    if (frame.message) log.replace(frame.message);
  })
  // Moderation: a message hidden, restored or deleted; the room renamed or made read-only;
  // this person muted or no longer muted.
  .on("message.hidden", (frame) => {
    log.replace({ id: frame.id, seq: frame.seq, hidden: true });
    reads.showCount(); // a hidden message is not unread any more
  })
  .on("message.restored", (frame) => {
    if (frame.message) log.replace(frame.message);
  })
  .on("message.deleted", (frame) => {
    // By its author: a tombstone in its place, as history shows it. By a moderator, for
    // good: gone.
    if (frame.tombstone) log.replace({ id: frame.id, seq: frame.seq, deleted: true });
    else log.remove(frame.seq);
    reads.showCount();
  })
  .on("room.updated", (frame) => {
    composer.roomUpdated(frame.room ?? {}, byId("room-name"));
    reads.showCount();
  })
  .on("read", (frame) => reads.readElsewhere(frame))
  .on("restriction", (frame) => composer.restricted(frame));

// ---- Going to the live end ----

log.pill.addEventListener("click", () => catchup.goLive());
// Escape means "to the latest message" (focus.js); on a linked page that is the live end.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.isComposing && !event.defaultPrevented) catchup.goLive();
});

// ---- Start ----

for (const message of initial.messages) log.put(message);
if (root.dataset.readOnly) composer.setBlock("readOnly", root.dataset.readOnly);
composer.restricted(data("current-restriction"));
if (targetSeq === null || !log.highlight(targetSeq)) log.scrollToBottom();
reads.open({ withLine: targetSeq === null });
scrollback.fill();
catchup.start();
manageFocus({
  input: composer.input,
  scroller: log.scroller,
  log,
  skipLink: byId("skip-to-composer"),
});
// Opened on one message: it is what the person came to read, so it has focus, not the box.
if (targetSeq !== null) log.items.get(targetSeq)?.node.focus({ preventScroll: true });
socket.start();
startMyRooms(document.querySelector("nav.my-rooms"));
