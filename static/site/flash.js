// Flash messages (Django's messages framework, in base.html): each gets a Dismiss button,
// and those that only confirm something (success, info) fade away after a while. Problems
// (warning, error) stay until dismissed. A notice does not fade while the pointer or the
// keyboard focus is on it, so nobody loses one they are reading; with reduced motion it
// goes without the fade.

const FADE_AFTER_MS = 8000;
const FADES = ["success", "info"];

const region = document.querySelector(".flash");
if (region) {
  for (const item of region.querySelectorAll("li")) wire(item);
}

function wire(item) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link dismiss";
  button.textContent = "Dismiss";
  button.addEventListener("click", () => dismiss(item));
  item.append(button);

  if (!FADES.some((tag) => item.classList.contains(tag))) return;
  let timer = null;
  const start = () => {
    clearTimeout(timer);
    timer = setTimeout(() => fade(item), FADE_AFTER_MS);
  };
  const hold = () => clearTimeout(timer);
  item.addEventListener("pointerenter", hold);
  item.addEventListener("pointerleave", start);
  item.addEventListener("focusin", hold);
  item.addEventListener("focusout", start);
  start();
}

function fade(item) {
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    dismiss(item);
    return;
  }
  item.addEventListener("transitionend", () => dismiss(item), { once: true });
  item.classList.add("fading");
}

function dismiss(item) {
  if (!item.isConnected) return;
  // Focus on the button that goes would fall to the page: the content takes it instead.
  const hadFocus = item.contains(document.activeElement);
  const list = item.parentElement;
  item.remove();
  if (list.childElementCount === 0) region.remove();
  if (hadFocus) document.getElementById("main")?.focus();
}
