// `@` completion in the message box: after an `@`, the room's members whose names start
// with what follows (GET /api/rooms/<slug>/members/?q=prefix, docs/protocol.md) are offered
// in a list just above the box. The arrows move through them, Enter or Tab puts the chosen
// name in, Escape closes the list; the mouse works too.
//
// ARIA: the box stays a textbox (a textarea may take neither the combobox role nor
// aria-expanded) that autocompletes a list: aria-autocomplete="list", aria-controls naming
// the listbox, and aria-activedescendant the option chosen (removed when the list closes),
// so focus never leaves the box while a screen reader follows the choice. How many names
// match is said once per list, in the page's polite status line.
import { NAME_CHARS } from "./mentions.js";
import { mentionChoices } from "./wording.js";

const FETCH_AFTER_MS = 120; // a pause in typing, not every keystroke, asks the server
// Answers are reused for a while (backspace, retyping), not forever: people join rooms.
const CACHE_MS = 30_000;
// An `@` at the start or after a character that cannot be in a name, up to the caret.
const TYPED_MENTION = new RegExp(`(?:^|[^${NAME_CHARS}])@([${NAME_CHARS}]{0,150})$`, "u");

export class MentionCompleter {
  // input: the textarea; listbox: an empty <ul role="listbox">; membersUrl: the members API
  // of this room; announce(text): the page's polite status line.
  constructor({ input, listbox, membersUrl, announce }) {
    this.input = input;
    this.listbox = listbox;
    this.membersUrl = membersUrl;
    this.announce = announce;
    this.options = []; // [{id, username}]
    this.active = -1;
    this.query = null; // {start, prefix}: the `@prefix` being completed
    this.timer = null;
    this.request = null;
    this.cache = new Map(); // lower-cased prefix -> {at, members}

    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    // Before the composer's own keydown (Enter sends): registered first, and in capture.
    input.addEventListener("keydown", (event) => this.keydown(event), true);
    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    input.addEventListener("blur", () => this.close());
    // A click on an option must not take focus from the box first.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.pick(Number(option.dataset.index));
    });
  }

  get isOpen() {
    return !this.listbox.hidden;
  }

  // The `@prefix` just before the caret, if the caret ends one.
  typedMention() {
    const { selectionStart, selectionEnd, value } = this.input;
    if (selectionStart !== selectionEnd) return null;
    const match = TYPED_MENTION.exec(value.slice(0, selectionStart));
    if (!match) return null;
    return { start: selectionStart - match[1].length - 1, prefix: match[1] };
  }

  update() {
    const query = this.typedMention();
    if (!query) {
      this.close();
      return;
    }
    this.query = query;
    clearTimeout(this.timer);
    const cached = this.cache.get(query.prefix.toLowerCase());
    if (cached && Date.now() - cached.at < CACHE_MS) {
      this.show(cached.members);
      return;
    }
    this.timer = setTimeout(() => this.fetchMembers(query.prefix), FETCH_AFTER_MS);
  }

  async fetchMembers(prefix) {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    let members;
    try {
      const url = new URL(this.membersUrl, window.location.href);
      url.searchParams.set("q", prefix);
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: request.signal,
      });
      if (!response.ok) throw new Error(`members answered ${response.status}`);
      members = (await response.json()).members ?? [];
    } catch (error) {
      if (error.name !== "AbortError") console.warn("Looking up members failed", error);
      return;
    }
    this.cache.set(prefix.toLowerCase(), { at: Date.now(), members });
    // Typing went on meanwhile: only the answer for what is typed now is shown.
    if (this.query?.prefix === prefix && this.typedMention()?.prefix === prefix) {
      this.show(members);
    }
  }

  show(members) {
    this.options = members.filter(
      (member) => Number.isSafeInteger(member?.id) && typeof member.username === "string",
    );
    if (this.options.length === 0) {
      this.close();
      return;
    }
    const wasOpen = this.isOpen;
    const previous = this.options[this.active]?.id;
    this.listbox.replaceChildren(
      ...this.options.map((member, index) => {
        const option = document.createElement("li");
        option.id = `${this.listbox.id}-${member.id}`;
        option.setAttribute("role", "option");
        option.dataset.index = String(index);
        option.dir = "auto";
        option.textContent = member.username;
        return option;
      }),
    );
    this.listbox.hidden = false;
    const kept = this.options.findIndex((member) => member.id === previous);
    this.select(kept >= 0 ? kept : 0);
    if (!wasOpen) this.announce(mentionChoices(this.options.length));
  }

  select(index) {
    const count = this.options.length;
    this.active = ((index % count) + count) % count; // the arrows wrap around
    for (const option of this.listbox.children) {
      const chosen = Number(option.dataset.index) === this.active;
      option.setAttribute("aria-selected", String(chosen));
      if (chosen) {
        this.input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }
  }

  close() {
    clearTimeout(this.timer);
    this.request?.abort();
    this.request = null;
    this.query = null;
    this.options = [];
    this.active = -1;
    if (!this.listbox.hidden) this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
  }

  keydown(event) {
    if (!this.isOpen || event.isComposing) return;
    const keys = {
      ArrowDown: () => this.select(this.active + 1),
      ArrowUp: () => this.select(this.active - 1),
      Enter: () => this.pick(this.active),
      Tab: () => this.pick(this.active),
      Escape: () => this.close(),
    };
    const action = event.shiftKey || event.altKey || event.ctrlKey ? null : keys[event.key];
    if (!action) return;
    // Handled here: not a new line, not a send, not a move of focus, not "jump to latest".
    event.preventDefault();
    event.stopImmediatePropagation();
    action();
  }

  // Puts `@username ` in place of the `@prefix` typed, and the caret after it.
  pick(index) {
    const member = this.options[index];
    const query = this.typedMention();
    if (!member || !query) {
      this.close();
      return;
    }
    const end = query.start + 1 + query.prefix.length;
    const spaced = this.input.value.slice(end).startsWith(" ");
    this.input.setRangeText(`@${member.username}${spaced ? "" : " "}`, query.start, end, "end");
    if (spaced) {
      const caret = this.input.selectionEnd + 1;
      this.input.setSelectionRange(caret, caret);
    }
    // The character count and the box's height follow the text (an untrusted event, so it
    // does not count as typing).
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
    this.close();
  }
}
