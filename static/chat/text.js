// A message body as DOM nodes: links for http, https and mailto URLs, `code` and fenced
// ``` blocks in monospace, `@name` mentions as tokens (mentions.js), and nothing else
// interpreted. Every piece of the body reaches the
// page as a text node or an attribute set through the DOM, never as HTML. Line breaks are
// kept by the stylesheet (white-space: pre-wrap on .body).
import { appendWithMentions } from "./mentions.js";

const LINK_REL = "noopener noreferrer nofollow ugc";
const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

// Only these schemes are ever looked for, so a `javascript:` URL stays plain text.
const URL_PATTERN = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
// Punctuation that ends a sentence rather than a URL ("see https://x.org.").
const TRAILING = /[.,;:!?'"*_]+$/;
const FENCE = /```([^\n`]*)\n?([\s\S]*?)```/g;
const INLINE_CODE = /`([^`\n]+)`/g;

// A URL written in running text, trimmed of the punctuation around it; a ")" is kept only
// when the URL opened one (https://en.wikipedia.org/wiki/Rust_(language)).
function trimUrl(raw) {
  let url = raw.replace(TRAILING, "");
  while (url.endsWith(")")) {
    const opened = url.split("(").length - 1;
    const closed = url.split(")").length - 1;
    if (closed <= opened) break;
    url = url.slice(0, -1).replace(TRAILING, "");
  }
  return url;
}

// The link for `text` when it is a well-formed URL of an allowed scheme; null otherwise.
export function safeHref(text) {
  let parsed;
  try {
    parsed = new URL(text);
  } catch {
    return null;
  }
  return SAFE_PROTOCOLS.has(parsed.protocol) ? parsed.href : null;
}

function link(url) {
  const href = safeHref(url);
  if (href === null) return document.createTextNode(url);
  const a = document.createElement("a");
  a.href = href;
  a.textContent = url;
  a.rel = LINK_REL;
  a.target = "_blank";
  return a;
}

// Plain text with its URLs made into links and, outside them, its mentions into tokens.
function linkify(text, into, me) {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (match.index > last) appendWithMentions(text.slice(last, match.index), into, me);
    into.append(link(url));
    last = match.index + url.length;
  }
  if (last < text.length) appendWithMentions(text.slice(last), into, me);
}

// Text that may hold `inline code`, with links outside the code.
function inline(text, into, me) {
  let last = 0;
  for (const match of text.matchAll(INLINE_CODE)) {
    if (match.index > last) linkify(text.slice(last, match.index), into, me);
    const code = document.createElement("code");
    code.textContent = match[1];
    into.append(code);
    last = match.index + match[0].length;
  }
  if (last < text.length) linkify(text.slice(last), into, me);
}

// The body's nodes, to append to the message's .body element. `me` (who reads the page)
// marks their own name where it is mentioned.
export function renderBody(text, { me = null } = {}) {
  const into = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    if (match.index > last) inline(text.slice(last, match.index), into, me);
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    // The text after the opening fence names a language when the block starts on the next
    // line; on one line (```like this```) it is the code itself.
    code.textContent = match[0].includes("\n") ? match[2].replace(/\n$/, "") : match[1];
    pre.append(code);
    into.append(pre);
    last = match.index + match[0].length;
    // The line break that follows a closing fence is the block's own.
    if (text[last] === "\n") last += 1;
  }
  if (last < text.length) inline(text.slice(last), into, me);
  return into;
}

// A search highlight (docs/protocol.md: escaped text with only <mark> elements added) as
// DOM nodes, read token by token rather than handed to the HTML parser.
export function renderHighlight(html) {
  const into = document.createDocumentFragment();
  let mark = null;
  for (const piece of html.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>") {
      mark = document.createElement("mark");
      into.append(mark);
    } else if (piece === "</mark>") {
      mark = null;
    } else if (piece) {
      (mark ?? into).append(unescapeHtml(piece));
    }
  }
  return into;
}

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'" };

function unescapeHtml(text) {
  return text.replace(/&(?:amp|lt|gt|quot|#x27);/g, (entity) => ENTITIES[entity]);
}
