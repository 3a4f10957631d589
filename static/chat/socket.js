// A WebSocket that comes back by itself. It knows nothing about chat: it reconnects with
// capped exponential backoff and jitter, waits while the browser says it is offline, and
// gives up only on the close codes that mean retrying cannot help.

// docs/protocol.md: 4401 not signed in, 4403 not allowed, 4404 no such room. Every other
// code is worth another try after the backoff: 1013 the server is busy, 4408 the page
// fell behind reading, 4429 too many sockets or frames.
export const FINAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
// 1012, service restart: the server is stopping (a deploy), and another one is ready.
export const SERVICE_RESTART = 1012;

export class ReconnectingSocket extends EventTarget {
  // Events: "open"; "frame" (detail: the parsed JSON object); "close" (detail: {code,
  // final}); "statechange" (detail: {state, code}) where state is one of
  // connecting | open | waiting | offline | stopped.
  constructor(url, { baseDelay = 500, maxDelay = 15000 } = {}) {
    super();
    this.url = url;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.state = "idle";
    this.lastCode = null;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.goOffline());
  }

  start() {
    if (navigator.onLine === false) {
      this.goOffline();
    } else {
      this.open();
    }
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // The connection proved useful (the caller got its answer), so the next drop starts the
  // backoff from the beginning again. Not done on "open": a server that accepts and then
  // closes at once (1013) must still be backed off from.
  markHealthy() {
    this.attempt = 0;
  }

  // Skip the rest of the wait, e.g. when the person asks or the network comes back.
  reconnectNow() {
    if (this.state === "stopped" || this.state === "connecting" || this.state === "open") {
      return;
    }
    this.attempt = 0;
    this.open();
  }

  open() {
    clearTimeout(this.timer);
    this.timer = null;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      // A malformed URL cannot get better by waiting.
      console.error("Cannot open the room socket", error);
      this.setState("stopped");
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.setState("open");
      this.dispatchEvent(new Event("open"));
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        console.warn("Ignoring a frame that is not JSON", event.data);
        return;
      }
      this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.dropped(event.code);
    });
  }

  dropped(code) {
    this.lastCode = code;
    const final = FINAL_CLOSE_CODES.has(code);
    this.dispatchEvent(new CustomEvent("close", { detail: { code, final } }));
    if (final) {
      this.setState("stopped", code);
    } else if (navigator.onLine === false) {
      this.setState("offline", code);
    } else if (code === SERVICE_RESTART && this.attempt === 0) {
      // A healthy connection closed by a server that is going away: reconnect at once, with
      // no backoff. If that fails too, the next wait backs off as after any failure.
      this.attempt = 1;
      this.setState("waiting", code);
      this.open();
    } else {
      this.schedule(code);
    }
  }

  schedule(code) {
    // Doubling from baseDelay up to maxDelay, then "equal jitter": half fixed, half random,
    // so a server restart is not met by every browser at the same instant.
    const ceiling = Math.min(this.maxDelay, this.baseDelay * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.setState("waiting", code);
    this.timer = setTimeout(() => this.open(), delay);
  }

  goOffline() {
    if (this.state === "stopped") return;
    clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    if (ws !== null) {
      // The browser knows the network is gone; the socket may take minutes to notice.
      this.ws = null;
      ws.close(1000, "offline");
      this.dispatchEvent(new CustomEvent("close", { detail: { code: 1000, final: false } }));
    }
    this.setState("offline");
  }

  setState(state, code = null) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state, code } }));
  }
}
