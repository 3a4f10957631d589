// The connection line above the log, as the person sees it, and said once to screen readers
// (announcer.js). The socket says what happened (socket.js); this says what it means.
import { CONNECTION } from "./wording.js";

export class ConnectionStatus extends EventTarget {
  // Events: "stopped" (the socket gave up: nothing can be sent from this page any more).
  constructor({ node, reconnectButton, socket, announcer, loginUrl }) {
    super();
    this.node = node;
    this.reconnectButton = reconnectButton;
    this.announcer = announcer;
    // docs/protocol.md's final close codes.
    this.stoppedBy = {
      4401: ["signed-out", CONNECTION.signedOut, { href: loginUrl, text: CONNECTION.logInAgain }],
      4403: ["forbidden", CONNECTION.forbidden],
      4404: ["no-room", CONNECTION.noRoom],
    };
    socket.addEventListener("statechange", ({ detail }) => this.changed(detail));
    reconnectButton.addEventListener("click", () => socket.reconnectNow());
  }

  show(state, text, link) {
    const node = this.node;
    node.dataset.state = state;
    node.replaceChildren(text);
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      node.append(" ", a);
    }
    this.reconnectButton.hidden = state !== "reconnecting";
    this.announcer.connection(state, text);
  }

  get state() {
    return this.node.dataset.state;
  }

  connected() {
    this.show("connected", CONNECTION.connected);
  }

  signedOut() {
    this.show(...this.stoppedBy[4401]);
  }

  changed({ state, code }) {
    if (state === "stopped") {
      this.show(...(this.stoppedBy[code] ?? ["stopped", CONNECTION.stopped]));
      this.dispatchEvent(new Event("stopped"));
    } else if (state === "offline") {
      this.show("offline", CONNECTION.offline);
    } else if (state === "connecting" && this.state === "offline") {
      this.show("reconnecting", CONNECTION.backOnline);
    } else if (state === "waiting" && code === 1013) {
      this.show("reconnecting", CONNECTION.busy);
    } else if (state === "waiting" && code === 1012) {
      this.show("reconnecting", CONNECTION.restarting);
    } else if (state === "waiting" && code === 4429) {
      this.show("reconnecting", CONNECTION.tooMany);
    } else if (state === "waiting") {
      this.show("reconnecting", CONNECTION.lost);
    }
    // "connecting" and "open" keep the current text: the page is connected only once its
    // resume is answered, and until then it is still connecting or reconnecting.
  }
}
