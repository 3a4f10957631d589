// Who is here: the people with a socket open in this room (docs/protocol.md, "Presence"),
// kept from the `presence` list the socket sends first and the `presence.join` and
// `presence.leave` that follow. A plain labelled list, not a live region: people coming and
// going are not read out (in a busy room that would drown the conversation); the list and
// its count are there for whoever looks.
import { PEOPLE, peopleHere } from "./wording.js";

export class WhoIsHere {
  // section: what holds the list (greyed while stale); list: the <ul>; count: where
  // "3 people here" goes; me: {id, username}.
  constructor({ section, list, count, me }) {
    this.section = section;
    this.list = list;
    this.count = count;
    this.me = me;
    this.people = new Map(); // id -> {id, username}
  }

  // The socket (re)connected: its list replaces whatever was known, since joins and leaves
  // may have been missed while it was closed.
  reset(users) {
    delete this.section.dataset.stale;
    this.people.clear();
    for (const user of users ?? []) this.add(user);
    this.render();
  }

  // The socket dropped: the list is what was known, until the next `presence`.
  stale() {
    this.section.dataset.stale = "";
  }

  join(user) {
    if (this.add(user)) this.render();
  }

  leave(user) {
    if (user && this.people.delete(user.id)) this.render();
  }

  has(id) {
    return this.people.has(id);
  }

  add(user) {
    if (!user || !Number.isSafeInteger(user.id) || typeof user.username !== "string") return false;
    const known = this.people.get(user.id);
    if (known?.username === user.username) return false;
    this.people.set(user.id, { id: user.id, username: user.username });
    return true;
  }

  // Sorted by username, as the server sends them, oneself among them.
  render() {
    const people = [...this.people.values()].sort((a, b) =>
      a.username.localeCompare(b.username, undefined, { sensitivity: "base" }),
    );
    const items = people.map((person) => {
      const item = document.createElement("li");
      item.dataset.userId = String(person.id);
      const name = document.createElement("span");
      name.className = "name";
      name.dir = "auto"; // a username is text people wrote: isolated (docs/protocol.md)
      name.textContent = person.username;
      item.append(name);
      if (person.id === this.me.id) {
        item.classList.add("me");
        item.append(" ", PEOPLE.you);
      }
      return item;
    });
    this.list.replaceChildren(...items);
    this.count.textContent = peopleHere(people.length);
    // Scrollable only when it overflows, and then reachable by keyboard (WCAG 2.1.1).
    if (this.list.scrollHeight > this.list.clientHeight + 1) this.list.tabIndex = 0;
    else this.list.removeAttribute("tabindex");
  }
}
