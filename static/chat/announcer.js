// What a screen reader hears from the room: each new message once, and each change of state
// once. The message list itself is not a live region (pages of history added above would be
// read out, and a sent message would be read at each of its three stages); instead, this
// module adds one line to a polite log per new message, and keeps a polite status line for
// the connection and for "new messages below".
import { mentionsMe } from "./mentions.js";
import {
  CONNECTION,
  LOG,
  SPOKEN,
  spokenBatch,
  spokenMention,
  spokenMessage,
} from "./wording.js";

const KEEP_LINES = 20; // older lines are dropped; removals are not announced
const LONGEST_BODY = 280; // a long message is cut short when read out, not on the page
const NEW_BELOW = SPOKEN.newBelow;

export class Announcer {
  constructor({ messages, status, me }) {
    this.messages = messages;
    this.status = status;
    this.me = me;
    this.connectedOnce = false;
    this.lastConnection = null;
  }

  // Messages that have just joined the log, live (never pages of history). One at a time
  // is read out in full; a batch (catching up after a reconnect) is summed up in one line.
  newMessages(messages) {
    if (messages.length === 0) return;
    if (messages.length > 1) {
      this.line(spokenBatch(messages.length));
      return;
    }
    const [message] = messages;
    if (message.hidden) return;
    const own = message.author !== null && message.author?.id === this.me.id;
    const who = own ? SPOKEN.you : (message.author?.username ?? LOG.deletedAccount);
    let body = message.body ?? "";
    if (body.length > LONGEST_BODY) body = `${body.slice(0, LONGEST_BODY)}…`;
    // Someone else's message that names the reader says so first, as the page shows it.
    const mentioned = !own && mentionsMe(message, this.me);
    this.line(mentioned ? spokenMention(who, body) : spokenMessage(who, body));
  }

  line(text) {
    const node = document.createElement("p");
    node.textContent = text;
    this.messages.append(node);
    while (this.messages.childElementCount > KEEP_LINES) this.messages.firstElementChild.remove();
  }

  // A change of state, said once: the same sentence again (another retry of the same lost
  // connection) is not repeated.
  state(text) {
    if (this.status.textContent === text) return;
    this.status.textContent = text;
  }

  // The "New messages" button appeared (said once), or went (so that its next appearance is
  // said again).
  newBelow(shown) {
    if (shown) this.state(NEW_BELOW);
    else if (this.status.textContent === NEW_BELOW) this.status.textContent = "";
  }

  // The connection line of the page changed. The first "Connected" of a page load is what
  // a person expects and is not read out; a loss, and getting back, are, once each: while
  // the page stays in one state (reconnecting through several attempts, whatever each one
  // says), nothing more is read out.
  connection(state, text) {
    if (state === "connected" && !this.connectedOnce) {
      this.connectedOnce = true;
      this.lastConnection = state;
      return;
    }
    if (!this.connectedOnce && state === "connecting") return;
    if (state === this.lastConnection) return;
    this.lastConnection = state;
    this.state(state === "connected" ? CONNECTION.connectedAgain : text);
  }
}
