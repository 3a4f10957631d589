// The composer's character count. The server refuses a body longer than the limit (after
// trimming, counted in code points as Python counts them), so the count appears as the text
// nears the limit, says how much is left or how far over it is, and marks the box invalid
// past it. Screen readers hear it when it first appears and when the text goes over or comes
// back under, not at every keystroke; the count is also in the box's description.

import { charactersLeft, charactersOver } from "./wording.js";

const SHOW_FROM = 0.9; // of the limit

export class CharacterCounter {
  constructor({ input, output, max, announce }) {
    this.input = input;
    this.output = output;
    this.max = max;
    this.announce = announce;
    this.state = "hidden"; // hidden | near | over
    input.addEventListener("input", () => this.update());
  }

  // Characters as the server counts them: code points of the trimmed text.
  get length() {
    return [...this.input.value.trim()].length;
  }

  get isOver() {
    return this.length > this.max;
  }

  update() {
    const length = this.length;
    const left = this.max - length;
    let state = "hidden";
    if (left < 0) state = "over";
    else if (length >= this.max * SHOW_FROM) state = "near";
    const text = state === "over" ? charactersOver(-left, this.max) : charactersLeft(left);
    this.output.hidden = state === "hidden";
    this.output.dataset.state = state;
    this.output.textContent = state === "hidden" ? "" : text;
    if (state === "over") this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    if (state !== this.state && state !== "hidden") this.announce(`${text}.`);
    this.state = state;
  }
}
