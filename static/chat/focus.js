// Where keyboard focus goes in a room: to the message box when the room opens (the skip
// link goes there too), and to the latest message on Escape, from anywhere on the page.
// Focus is never left on a message that was replaced or removed (chat/log.js sees to that).

export function manageFocus({ input, scroller, log, skipLink }) {
  // Not on touch screens: focusing the box there opens the on-screen keyboard over the
  // conversation the person came to read.
  if (!input.disabled && !window.matchMedia("(pointer: coarse)").matches) {
    input.focus({ preventScroll: true });
  }

  // A closed composer (a locked room, a mute) cannot take focus; the log can.
  skipLink?.addEventListener("click", (event) => {
    event.preventDefault();
    (input.disabled ? scroller : input).focus();
  });

  document.addEventListener("keydown", (event) => {
    // Escape that cancels an IME composition is the input method's, not ours.
    if (event.key !== "Escape" || event.isComposing || event.defaultPrevented) return;
    log.jumpToLatest();
  });
}
