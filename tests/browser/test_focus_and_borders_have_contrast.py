"""WCAG 2.2 AA for what axe cannot measure: every element the keyboard reaches shows a focus
indicator at least 3:1 against the colour it is drawn on, and every text box's border is at
least 3:1 against the box and against what surrounds it (1.4.11), in the light and the dark
scheme. Computed from the styles the browser applies: a translucent ring is blended over
its background first, as it is seen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEEDED = 3.0

# For the focused element: the colour of its focus ring (outline, or a box-shadow ring) and
# the colour the ring is drawn on (the element's own background for a ring drawn inside it,
# what is behind the element for one outside), each composited down the ancestors to an
# opaque colour.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (el === document.body || el === null) return null;  // Tab went past the last one
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const over = (top, bottom) => top.slice(0, 3).map(
    (c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const behind = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const style = getComputedStyle(el);
  const inside = parseFloat(style.outlineOffset) < 0;
  const ground = behind(inside ? el : el.parentElement);
  let ring = null;
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    ring = parse(style.outlineColor);
  } else if (style.boxShadow !== "none") {
    ring = parse(style.boxShadow);
  }
  const name = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}`;
  const text = el.textContent.trim().slice(0, 30);
  return { name, text, ring: ring && over(ring, ground), ground };
}"""

# Focus at the start of the document, as when Tab first moves into the page from the
# browser's own controls.
FROM_THE_TOP = """() => {
  document.body.tabIndex = -1;
  document.body.focus();
  document.body.removeAttribute("tabindex");
}"""

# Each text box's border against its own background and against the background around it.
BORDERS = """() => [...document.querySelectorAll(
    "input:not([type=hidden]):not([type=checkbox]), textarea")]
  .filter((el) => el.offsetParent !== null && !el.disabled)
  .map((el) => ({
    name: el.id || el.name,
    border: getComputedStyle(el).borderTopColor,
    inside: getComputedStyle(el).backgroundColor,
    outside: (() => {
      for (let n = el.parentElement; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c;
      }
      return "rgb(255, 255, 255)";
    })(),
  }))"""


def luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(text: str) -> list[float]:
    inner = text[text.index("(") + 1 : text.index(")")]
    return [float(part) for part in inner.replace("/", " ").replace(",", " ").split()][:3]


def focus_problems(page: Page, tabs: int = 30) -> tuple[list[str], int]:
    """Tab through the page as a keyboard user does; the rings that fall short, and how
    many elements were checked."""
    page.evaluate(FROM_THE_TOP)
    problems: list[str] = []
    seen: set[str] = set()
    for _ in range(tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_RING)
        if focused is None:
            break
        key = f"{focused['name']} {focused['text']}"
        if key in seen:
            break
        seen.add(key)
        if focused["ring"] is None:
            problems.append(f"{key}: no focus indicator")
            continue
        ratio = contrast(focused["ring"], focused["ground"])
        if ratio < NEEDED:
            problems.append(f"{key}: focus ring {ratio:.2f}:1")
    return problems, len(seen)


def border_problems(page: Page) -> list[str]:
    problems = []
    for box in page.evaluate(BORDERS):
        for side in ("inside", "outside"):
            ratio = contrast(rgb(box["border"]), rgb(box[side]))
            if ratio < NEEDED:
                problems.append(f"{box['name']}: border {ratio:.2f}:1 against the {side}")
    return problems


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_focus_rings_and_text_box_borders_reach_three_to_one(
    new_page: Callable[..., Page], room: Room, alice: User, color_scheme: str
) -> None:
    problems: dict[str, list[str]] = {}
    visitor = new_page(color_scheme=color_scheme)
    visitor.goto("/accounts/login/")
    found, checked = focus_problems(visitor)
    assert checked >= 6  # links, two text boxes, the checkbox, the buttons
    problems["login"] = found + border_problems(visitor)

    page = new_page(alice, color_scheme=color_scheme)
    page.goto("/")
    found, checked = focus_problems(page)
    assert checked >= 6
    problems["index"] = found + border_problems(page)
    open_room(page, room)
    found, checked = focus_problems(page)
    assert checked >= 6  # skip link, header, the log, the message box, Send
    problems["room"] = found + border_problems(page)

    assert {name: lines for name, lines in problems.items() if lines} == {}
