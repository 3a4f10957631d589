// Messages typed here and not yet acked, in the order they were typed. Each keeps its
// client_id across retries and reconnects, so the server saves each one once
// (docs/protocol.md, message.send). The log shows them below the saved messages (log.js,
// showPending) until the server's copy takes their place.
import { SENDING, sendingTooFast } from "./wording.js";

const RETRY_MS = 2000;

export function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  // randomUUID needs a secure context; plain-http deployments on a LAN get this instead.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Milliseconds the server asked to wait before trying again (rate_limited), or `fallback`.
export function retryDelay(frame, fallback = RETRY_MS) {
  const seconds = Number(frame.retry_after);
  return frame.code === "rate_limited" && seconds > 0 ? seconds * 1000 : fallback;
}

export class Outbox {
  // canSend(): the page is caught up, so what goes out now lands after what is shown.
  // onAcked(): an acked message was shown at its seq (the catch-up tracker accounts for it).
  // onRefused(code, detail): the server refused a message for a reason that closes the
  // composer (room_locked, muted). onDiscarded(): the person dropped a message.
  constructor({ socket, log, me, canSend, onAcked, onRefused, onDiscarded }) {
    this.socket = socket;
    this.log = log;
    this.me = me;
    this.canSend = canSend;
    this.onAcked = onAcked;
    this.onRefused = onRefused;
    this.onDiscarded = onDiscarded;
    this.entries = new Map(); // client_id -> {clientId, body, state: queued|sent|error, error}

    socket.addEventListener("close", () => {
      // Whatever was sent and not acked may or may not have been saved; it goes out again
      // with the same client_id after the next resume, and the server keeps only one.
      for (const entry of this.entries.values()) {
        if (entry.state === "sent") this.setState(entry, "queued");
      }
    });
    log.list.addEventListener("click", (event) => this.clicked(event));
  }

  setState(entry, state, error = null) {
    entry.state = state;
    entry.error = error;
    this.log.showPending(entry);
  }

  send(body) {
    const entry = { clientId: newClientId(), body, state: "queued", error: null };
    this.entries.set(entry.clientId, entry);
    this.log.showPending(entry);
    this.log.scrollToBottom();
    if (this.canSend()) this.transmit(entry);
  }

  transmit(entry) {
    const frame = { type: "message.send", body: entry.body, client_id: entry.clientId };
    this.setState(entry, this.socket.send(frame) ? "sent" : "queued");
  }

  // After a resume, so anything already saved has been seen (and settled) first. Map order
  // is typing order, and the server answers frames in order, so seqs follow typing order.
  flush() {
    for (const entry of this.entries.values()) {
      if (entry.state === "queued" || entry.state === "sent") this.transmit(entry);
    }
  }

  // Messages from the server: those of this person's typed here are no longer waiting to
  // be sent. (The log turns their pending elements into the messages.)
  settle(messages) {
    for (const message of messages) {
      if (message.client_id && message.author?.id === this.me.id) {
        this.entries.delete(message.client_id);
      }
    }
  }

  // An `ack` frame: true when it answered a message of the outbox.
  acked(frame) {
    const entry = this.entries.get(frame.client_id);
    if (!entry) return false;
    this.entries.delete(entry.clientId);
    // Shown at its seq right away, in its pending element; the broadcast that follows
    // replaces this copy with the server's (which has the real timestamp).
    const message = {
      id: frame.id,
      seq: frame.seq,
      author: { id: this.me.id, username: this.me.username },
      body: entry.body,
      created_at: new Date().toISOString(),
      client_id: entry.clientId,
    };
    this.log.append([message], { follow: true, provisional: true });
    this.onAcked();
    return true;
  }

  // An `error` frame: true when it was about a message (it names a client_id).
  failed(frame) {
    if (!frame.client_id) return false;
    const entry = this.entries.get(frame.client_id);
    if (entry && frame.code === "rate_limited") {
      // Too many messages too fast: it goes out by itself once the server allows it.
      const wait = retryDelay(frame);
      this.setState(entry, "error", sendingTooFast(Math.ceil(wait / 1000)));
      setTimeout(() => {
        if (this.entries.get(entry.clientId) !== entry || entry.state !== "error") return;
        this.setState(entry, "queued");
        if (this.canSend()) this.transmit(entry);
      }, wait);
    } else if (entry) {
      this.setState(entry, "error", frame.detail || SENDING.notSent);
    }
    if (frame.code === "room_locked" || frame.code === "muted") {
      this.onRefused(frame.code, frame.detail);
    }
    return true;
  }

  // Retry and Discard on a message that was not sent.
  clicked(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const clientId = button.closest("li")?.dataset.clientId;
    const entry = this.entries.get(clientId);
    if (!entry) return;
    if (button.dataset.action === "retry") {
      this.setState(entry, "queued");
      if (this.canSend()) this.transmit(entry);
    } else if (button.dataset.action === "discard") {
      this.entries.delete(clientId);
      this.log.removePending(clientId);
      this.onDiscarded();
    }
  }
}
