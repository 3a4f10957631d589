// The message box: what the person types goes to `onSend` on Enter (Shift+Enter is a new
// line), the box grows with its text, the character count watches the limit (counter.js),
// and the box closes, with the reason above it, while the person cannot send: the socket
// gave up, the room is read-only, or they are muted.
import { CharacterCounter } from "./counter.js";
import { BLOCKED, mutedUntil, notSentOver, roomTitle } from "./wording.js";

const TALLEST_PX = 160;

export class Composer {
  constructor({ form, input, note, count, announcer, scroller, onSend }) {
    this.form = form;
    this.input = input;
    this.note = note;
    this.count = count;
    this.announcer = announcer;
    this.scroller = scroller;
    this.onSend = onSend;
    this.sendButton = form.querySelector("button[type=submit]");
    // Reasons the composer is closed, by kind: stopped (the socket gave up), readOnly (the
    // room is locked or archived), muted. Each holds the sentence shown above the composer.
    this.blocks = new Map();
    this.muteTimer = null;
    this.counter = new CharacterCounter({
      input,
      output: count,
      max: Number(form.dataset.maxChars) || 4000,
      announce: (text) => announcer.state(text),
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is
      // neither.
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
        return;
      }
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("input", () => this.fit());
  }

  get isClosed() {
    return this.blocks.size > 0;
  }

  submit() {
    const body = this.input.value.trim();
    if (!body || this.isClosed) return;
    if (this.counter.isOver) {
      this.announcer.state(notSentOver(this.count.textContent));
      return;
    }
    this.onSend(body);
    this.input.value = "";
    this.fit();
    this.counter.update();
  }

  // The box grows with its text up to a few lines, then scrolls.
  fit() {
    const input = this.input;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, TALLEST_PX)}px`;
  }

  // ---- What stops this person from sending ----

  setBlock(kind, text) {
    if (text) this.blocks.set(kind, text);
    else this.blocks.delete(kind);
    const closed = this.isClosed;
    // A disabled box drops its focus to the page; keep it in the room.
    if (closed && document.activeElement === this.input) this.scroller.focus();
    this.input.disabled = closed;
    this.sendButton.disabled = closed;
    this.note.hidden = !closed;
    this.note.textContent = [...this.blocks.values()].join(" ");
  }

  stopped() {
    this.setBlock("stopped", BLOCKED.stopped);
  }

  // A `room.updated` frame (renamed, locked, archived); the heading is the page's.
  roomUpdated(room, heading) {
    if (room.name) {
      heading.textContent = room.name;
      document.title = roomTitle(room.name);
    }
    if (room.archived) this.setBlock("readOnly", BLOCKED.archived);
    else if (room.locked) this.setBlock("readOnly", BLOCKED.locked);
    else this.setBlock("readOnly", null);
  }

  // A `restriction` frame (or the page's own at load): muted until when, and why.
  restricted(restriction) {
    const { kind, until, reason } = restriction ?? {};
    clearTimeout(this.muteTimer);
    if (kind !== "mute") {
      this.setBlock("muted", null);
      return;
    }
    const end = until ? new Date(until) : null;
    let when = null;
    if (end && !Number.isNaN(end.getTime())) {
      when = end.toLocaleString();
      // setTimeout cannot wait longer than about 24.8 days; a longer mute ends on a reload.
      const wait = end.getTime() - Date.now();
      if (wait < 2 ** 31 - 1) this.muteTimer = setTimeout(() => this.setBlock("muted", null), wait);
    }
    this.setBlock("muted", mutedUntil(when, reason));
  }

  // The server refused a message: the room became read-only, or the person was muted.
  refused(code, detail) {
    if (code === "room_locked") this.setBlock("readOnly", BLOCKED.readOnly);
    if (code === "muted") this.setBlock("muted", detail || BLOCKED.muted);
  }
}
