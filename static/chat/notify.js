// Desktop notifications for mentions, opt-in (docs/protocol.md, "The room page: people").
// Nothing is asked of the browser until the person presses the button; once they allow it,
// a message that mentions them, arriving while this tab is hidden, shows a notification that
// brings them back to it. The choice is kept in this browser (localStorage) so it survives a
// reload; withdrawing the permission in the browser's settings stops it too.
import { LOG, MENTIONS, mentionedYou } from "./wording.js";

const STORAGE_KEY = "parley.notify-mentions";
const BODY_LENGTH = 140; // what a desktop notification shows of a message

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === "on";
  } catch {
    return false; // storage refused (a private window): the choice lasts as long as the page
  }
}

function store(on) {
  try {
    if (on) window.localStorage.setItem(STORAGE_KEY, "on");
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Not kept across reloads; this page still honours it.
  }
}

export class MentionNotifier {
  // button: the toggle (hidden where there are no notifications); me: {id, username};
  // roomName(): the room's name now (it may be renamed); onOpen(seq): the person clicked
  // the notification of the message at `seq`.
  constructor({ button, me, roomName, onOpen }) {
    this.button = button;
    this.me = me;
    this.roomName = roomName;
    this.onOpen = onOpen;
    this.wanted = stored();
    if (!("Notification" in window)) return;
    button.hidden = false;
    button.addEventListener("click", () => this.toggle());
    this.render();
  }

  get on() {
    return this.wanted && "Notification" in window && Notification.permission === "granted";
  }

  async toggle() {
    if (this.on) {
      this.set(false);
      return;
    }
    // Asked only now, from the person's own click, as browsers require.
    let permission = Notification.permission;
    if (permission === "default") {
      try {
        permission = await Notification.requestPermission();
      } catch {
        permission = Notification.permission;
      }
    }
    this.set(permission === "granted");
  }

  set(on) {
    this.wanted = on;
    store(on);
    this.render();
  }

  // The label stays the same while the button is a toggle (aria-pressed says on or off);
  // a browser that blocks notifications gets a label that says so.
  render() {
    const blocked = Notification.permission === "denied";
    this.button.setAttribute("aria-pressed", String(this.on));
    this.button.textContent = blocked ? MENTIONS.notifyBlocked : MENTIONS.notify;
    this.button.title = blocked ? MENTIONS.notifyBlockedHint : "";
  }

  // A message arrived live: a notification when it mentions the reader, is not their own,
  // and they cannot see this tab.
  message(message) {
    if (!this.on || !document.hidden) return;
    if (!message?.mentions?.includes(this.me.id) || message.author?.id === this.me.id) return;
    let body = message.body ?? "";
    if (body.length > BODY_LENGTH) body = `${body.slice(0, BODY_LENGTH)}…`;
    const author = message.author?.username ?? LOG.deletedAccount;
    const notification = new Notification(mentionedYou(author, this.roomName()), {
      body,
      // One notification per message, however often it reaches the page.
      tag: `parley-mention-${message.id}`,
    });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
      this.onOpen(message.seq);
    });
  }
}
