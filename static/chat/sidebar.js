// "My rooms": the person's rooms, most recent activity first, with unread and mention
// badges kept live (docs/protocol.md, GET /api/rooms/ and the /ws/rooms/ socket).
//
// The list is fetched when the page opens, every time the socket (re)connects (whatever
// happened while it was away is in the answer), on `rooms.changed` (a room joined or
// left) and on `room.recount` (a message hidden, restored or deleted, or its mentions
// edited). Between fetches, `room.activity` adds to a room's counts and `read` clears them.
// Frames that arrive while a fetch is under way wait for its answer and are applied on top
// of it; those the answer already counts (seq <= its last_seq) change nothing, so nothing
// is counted twice.
import { FrameDispatcher, socketUrl } from "./dispatch.js";
import { ReconnectingSocket } from "./socket.js";
import { MY_ROOMS, roomCounts } from "./wording.js";

const REFETCH_RETRY_MS = 5000;

export class MyRooms {
  // current: the slug of the room this page shows (marked in the list), or null.
  constructor({ list, empty, apiUrl, socket, me, current = null }) {
    this.list = list;
    this.empty = empty;
    this.apiUrl = apiUrl;
    this.socket = socket;
    this.me = me;
    this.current = current;
    this.rooms = new Map(); // slug -> the API's room, kept up to date
    this.nodes = new Map(); // slug -> li
    this.fetching = null; // the fetch under way
    this.again = false; // another fetch was asked for while one was under way
    this.waiting = []; // frames that arrived during the fetch
    this.reorderPending = false;

    new FrameDispatcher(socket)
      .on("room.activity", (frame) => this.whenSettled(() => this.activity(frame)))
      .on("read", (frame) => this.whenSettled(() => this.read(frame)))
      .on("rooms.changed", () => this.refetch())
      // A message was hidden, restored or deleted, or its mentions changed: only the
      // server can say what that did to the counts.
      .on("room.recount", () => this.refetch());
    socket.addEventListener("open", () => this.refetch());
    // Keyboard focus on a room stays put: the list is reordered once focus leaves it.
    list.addEventListener("focusout", (event) => {
      if (this.reorderPending && !list.contains(event.relatedTarget)) this.render();
    });
  }

  start() {
    this.refetch();
    this.socket.start();
  }

  whenSettled(apply) {
    if (this.fetching) this.waiting.push(apply);
    else apply();
  }

  async refetch() {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = this.load();
    try {
      await this.fetching;
    } finally {
      this.fetching = null;
      for (const apply of this.waiting.splice(0)) apply();
      if (this.again) {
        this.again = false;
        this.refetch();
      }
    }
  }

  async load() {
    let answer;
    try {
      const response = await fetch(this.apiUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`rooms answered ${response.status}`);
      answer = await response.json();
    } catch (error) {
      console.warn("Loading my rooms failed", error);
      // Frames keep counting on what is shown; the next (re)connect fetches again.
      if (this.rooms.size === 0) setTimeout(() => this.refetch(), REFETCH_RETRY_MS);
      return;
    }
    this.rooms = new Map(answer.rooms.map((room) => [room.slug, { ...room }]));
    this.render();
  }

  // A new message in one of the person's rooms.
  activity({ room: slug, seq, author_id: authorId, mentions, at }) {
    const room = this.rooms.get(slug);
    if (!room) {
      this.refetch(); // a room this page has not heard of yet
      return;
    }
    if (!Number.isSafeInteger(seq) || seq <= room.last_seq) return; // already counted
    room.last_seq = seq;
    if (at) room.last_activity_at = at;
    if (authorId === this.me.id) {
      // One's own message moves one's read position to it.
      room.last_read_seq = seq;
      room.unread = 0;
      room.mentions = 0;
    } else if (seq > room.last_read_seq) {
      room.unread += 1;
      if (Array.isArray(mentions) && mentions.includes(this.me.id)) room.mentions += 1;
    }
    this.render();
  }

  // The person read up to `seq` somewhere.
  read({ room: slug, seq }) {
    const room = this.rooms.get(slug);
    if (!room || !Number.isSafeInteger(seq) || seq <= room.last_read_seq) return;
    room.last_read_seq = seq;
    if (seq >= room.last_seq) {
      room.unread = 0;
      room.mentions = 0;
      this.render();
    } else {
      // Only the server knows how many of the rest are still unread.
      this.refetch();
    }
  }

  render() {
    const rooms = [...this.rooms.values()].sort(byActivity);
    this.empty.hidden = rooms.length > 0;
    this.list.hidden = rooms.length === 0;
    for (const [slug, node] of this.nodes) {
      if (!this.rooms.has(slug)) {
        node.remove();
        this.nodes.delete(slug);
      }
    }
    for (const room of rooms) this.show(room);
    // Moving a focused link would drop its focus: wait until focus leaves the list.
    if (this.list.contains(document.activeElement)) {
      this.reorderPending = true;
      return;
    }
    this.reorderPending = false;
    rooms.forEach((room, index) => {
      const node = this.nodes.get(room.slug);
      const there = this.list.children[index] ?? null;
      if (there !== node) this.list.insertBefore(node, there);
    });
  }

  show(room) {
    let node = this.nodes.get(room.slug);
    if (!node) {
      node = document.createElement("li");
      node.dataset.room = room.slug;
      const link = document.createElement("a");
      link.href = `/chat/${encodeURIComponent(room.slug)}/`;
      const name = document.createElement("span");
      name.className = "room-name";
      name.dir = "auto";
      const badges = document.createElement("span");
      badges.className = "badges";
      // The badges are for the eye; the sentence after them is for screen readers.
      badges.setAttribute("aria-hidden", "true");
      const spoken = document.createElement("span");
      spoken.className = "visually-hidden counts";
      link.append(name, badges, spoken);
      node.append(link);
      if (room.slug === this.current) {
        node.classList.add("current");
        link.setAttribute("aria-current", "page");
      }
      this.nodes.set(room.slug, node);
      this.list.append(node);
    }
    // The room this page shows has its own count (the title) and marks read as it goes:
    // a badge there would only flicker until the page's next `read`.
    const here = room.slug === this.current;
    const unread = here ? 0 : Math.max(0, room.unread | 0);
    const mentions = here ? 0 : Math.max(0, room.mentions | 0);
    node.dataset.unread = String(unread);
    node.dataset.mentions = String(mentions);
    node.classList.toggle("has-unread", unread > 0);
    node.querySelector(".room-name").textContent = room.name;
    const badges = node.querySelector(".badges");
    badges.replaceChildren();
    if (mentions > 0) badges.append(badge("mention", `@${mentions}`, MY_ROOMS.mentionsTitle));
    if (unread > 0) badges.append(badge("unread", String(unread), MY_ROOMS.unreadTitle));
    node.querySelector(".counts").textContent = roomCounts(unread, mentions);
  }
}

function badge(kind, text, title) {
  const node = document.createElement("span");
  node.className = `badge ${kind}`;
  node.textContent = text;
  node.title = title;
  return node;
}

// Most recent activity first, then by name.
function byActivity(a, b) {
  const when = (Date.parse(b.last_activity_at) || 0) - (Date.parse(a.last_activity_at) || 0);
  return when || a.name.localeCompare(b.name);
}

// The list in `nav` (templates/chat/_my_rooms.html), live over a socket of its own.
export function startMyRooms(nav) {
  const socket = new ReconnectingSocket(socketUrl(nav.dataset.wsPath));
  const rooms = new MyRooms({
    list: nav.querySelector("ul"),
    empty: nav.querySelector(".my-rooms-empty"),
    apiUrl: nav.dataset.apiUrl,
    socket,
    me: { id: Number(nav.dataset.userId) },
    current: nav.dataset.current ?? null,
  });
  rooms.start();
  return rooms;
}
