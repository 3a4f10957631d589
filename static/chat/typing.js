// "alice is typing…" (docs/protocol.md, "Typing"): this page tells the room when its person
// types, at most once per SEND_EVERY_MS, and shows who else is typing until TYPING_SHOWN_MS
// after each one's last `typing` frame. Nothing of it is stored anywhere.
import { typingLine } from "./wording.js";

const SEND_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;

// Tells the room, through `send()`, that the person is typing in `input`: on their
// keystrokes only (not when the page itself changes the box), never for an empty box, and
// at most once per SEND_EVERY_MS however fast they type.
export class TypingSender {
  constructor({ input, send }) {
    this.input = input;
    this.send = send;
    this.lastSent = -Infinity;
    this.afterMessage = false;
    this.timer = null;
    input.addEventListener("input", (event) => {
      // Replacing the whole value from script (after sending) fires no event; a person
      // deleting everything does, and an empty box says nothing.
      if (!event.isTrusted || input.value.trim() === "") return;
      this.typed();
    });
  }

  typed() {
    // The monotonic clock: a change of the system's time cannot shorten the 3 s.
    const wait = this.lastSent + SEND_EVERY_MS - performance.now();
    if (wait <= 0) {
      this.sendNow();
    } else if (this.afterMessage && this.timer === null) {
      // Their message ended their "is typing" on the other pages, and they are already
      // writing the next one: say so as soon as the 3 s allow, not at a later keystroke.
      this.timer = setTimeout(() => {
        this.timer = null;
        // Asked again rather than sent: a timer may fire a fraction of a millisecond early.
        if (this.input.value.trim() !== "") this.typed();
      }, Math.ceil(wait));
    }
  }

  sendNow() {
    // A closed socket sends nothing; the next keystroke tries again.
    if (!this.send()) return;
    this.lastSent = performance.now();
    this.afterMessage = false;
  }

  // The person's message went out.
  sent() {
    this.afterMessage = true;
  }
}

// Who else is typing, in one polite status line. The line changes only when the set of
// names changes, so a screen reader hears "bob is typing…" once, not at every frame bob's
// page sends; when nobody types any more it empties, which is not read out.
export class TypingIndicator {
  constructor({ node, me }) {
    this.node = node;
    this.me = me;
    this.typists = new Map(); // user id -> {user, timer}
    this.shown = "[]";
  }

  typing(user) {
    if (!user || !Number.isSafeInteger(user.id) || user.id === this.me.id) return;
    const known = this.typists.get(user.id);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this.stopped(user.id), TYPING_SHOWN_MS);
    // Insertion order is the order they started typing in, kept while they go on.
    if (known) known.timer = timer;
    else this.typists.set(user.id, { user, timer });
    this.render();
  }

  // Their message arrived, or they left the room: they are not typing any more.
  stopped(userId) {
    const known = this.typists.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.typists.delete(userId);
    this.render();
  }

  // The socket dropped: frames that would have renewed anyone's entry cannot arrive.
  clear() {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render() {
    const typists = [...this.typists.values()].map(({ user }) => user);
    // Unchanged names, unchanged line: nothing new for a screen reader to say.
    const key = JSON.stringify(typists.map((user) => user.id));
    if (key === this.shown) return;
    this.shown = key;
    const names = typists.map((user) => {
      const name = document.createElement("bdi");
      name.textContent = user.username;
      return name;
    });
    this.node.replaceChildren(...typingLine(names));
  }
}
