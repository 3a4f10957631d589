// The room page's search box: asks GET /api/search/ (docs/protocol.md) for this room, lists
// the results newest first with their matches marked, pages on with the answer's cursor,
// and links each result to the room opened on that message (/chat/<slug>/?seq=N).
import { renderHighlight } from "./text.js";
import { LOG, SEARCH, searchFailed, searchFound, searchNothing } from "./wording.js";

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export class RoomSearch {
  constructor({ form, input, panel, searchUrl, room }) {
    this.form = form;
    this.input = input;
    this.panel = panel;
    this.searchUrl = searchUrl;
    this.room = room;
    this.summary = panel.querySelector(".search-summary");
    this.list = panel.querySelector(".results");
    this.more = panel.querySelector(".more");
    this.query = "";
    this.next = null;
    this.busy = false;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start(input.value.trim());
    });
    this.more.addEventListener("click", () => this.load());
    panel.querySelector(".close").addEventListener("click", () => this.close());
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault(); // closes the results only, not a jump to the latest message
        this.close();
      }
    });
  }

  start(query) {
    if (!query) {
      this.close();
      return;
    }
    this.query = query;
    this.next = null;
    this.list.replaceChildren();
    this.panel.hidden = false;
    this.load();
  }

  close() {
    this.panel.hidden = true;
    this.list.replaceChildren();
    this.query = "";
    this.input.focus();
  }

  async load() {
    if (this.busy) return;
    this.busy = true;
    this.more.hidden = true;
    this.summary.textContent = SEARCH.searching;
    const url = new URL(this.searchUrl, window.location.href);
    url.searchParams.set("q", this.query);
    url.searchParams.set("room", this.room);
    if (this.next) url.searchParams.set("cursor", this.next);
    let answer;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer.detail || `search answered ${response.status}`);
    } catch (error) {
      this.summary.textContent = searchFailed(error.message);
      this.busy = false;
      return;
    }
    for (const result of answer.results) this.list.append(this.render(result));
    this.next = answer.next;
    this.more.hidden = !this.next;
    const count = this.list.childElementCount;
    this.summary.textContent =
      count === 0 ? searchNothing(this.query) : searchFound(count, Boolean(this.next));
    this.busy = false;
  }

  render({ message, highlight }) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/chat/${encodeURIComponent(message.room)}/?seq=${message.seq}`;
    link.dataset.seq = String(message.seq);
    const meta = document.createElement("span");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    author.dir = "auto";
    author.textContent = message.author ? message.author.username : LOG.deletedAccount;
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    const when = new Date(message.created_at);
    if (!Number.isNaN(when.getTime())) time.textContent = WHEN.format(when);
    meta.append(author, " ", time);
    const snippet = document.createElement("span");
    snippet.className = "snippet";
    snippet.dir = "auto";
    snippet.append(renderHighlight(highlight));
    link.append(meta, snippet);
    item.append(link);
    return item;
  }
}
