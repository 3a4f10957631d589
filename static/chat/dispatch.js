// Incoming frames to the modules that handle them, by type. Each module registers for the
// types it knows (docs/protocol.md), so a new kind of frame is a new `on(...)` in the module
// that handles it and one line of wiring, never an edit to a switch elsewhere.
//
// Several handlers may register for one type; they are asked in the order they registered,
// and the first that returns true has handled the frame (an `ack` belongs either to an edit
// or to a message being sent). A handler that returns nothing lets the next one see it too.
// Types nobody registered for are ignored: newer servers may add frame types.

export class FrameDispatcher {
  constructor(socket) {
    this.handlers = new Map(); // type -> [handler, ...]
    socket.addEventListener("frame", ({ detail: frame }) => this.dispatch(frame));
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  dispatch(frame) {
    const handlers = this.handlers.get(frame?.type);
    if (!handlers) return;
    for (const handler of handlers) {
      if (handler(frame) === true) return;
    }
  }
}

// The socket URL for a path on this site: ws: or wss: as the page itself.
export function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}
