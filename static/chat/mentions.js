// Mentions in the log (docs/protocol.md, "Mentions"): `@username` in a body is shown as a
// token of its own, and a message whose `mentions` holds the reader's id is marked, in
// words as well as in colour. Built from DOM nodes only, like the rest of the body (text.js).
import { MENTIONS } from "./wording.js";

// The server's rule (chat/membership.py): a Django username's characters (letters, digits
// and @.+-_), after anything that could not be part of one, so the `@` of an email address
// starts no mention; a trailing "." ends the sentence, not the name.
export const NAME_CHARS = "\\p{L}\\p{M}\\p{N}_.@+\\-";
const MENTION = new RegExp(`(?<![${NAME_CHARS}])@([${NAME_CHARS}]+)`, "gu");

// Appends plain `text` to `into`, each `@name` in it as a token element; the reader's
// (`me`, when given) marked as theirs.
export function appendWithMentions(text, into, me = null) {
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = match[1].replace(/\.+$/, "");
    if (!name) continue;
    if (match.index > last) into.append(text.slice(last, match.index));
    const token = document.createElement("span");
    token.className = "mention";
    token.dir = "auto";
    token.textContent = `@${name}`;
    if (me && name.toLowerCase() === me.username.toLowerCase()) token.classList.add("me");
    into.append(token);
    last = match.index + 1 + name.length;
  }
  if (last < text.length) into.append(text.slice(last));
}

// The message names the reader (the server resolved it against the room's members).
export function mentionsMe(message, me) {
  return Array.isArray(message?.mentions) && message.mentions.includes(me.id);
}

// Marks a message element that mentions the reader: a class for the colour and a few words
// for those who do not see it ("Mentions you"), in the message's meta line.
export function markMention(node, message, me) {
  const mine = mentionsMe(message, me) && !message.hidden && !message.deleted;
  node.classList.toggle("mentions-me", mine);
  node.querySelector(".meta .mention-note")?.remove();
  if (!mine) return;
  const note = document.createElement("span");
  note.className = "mention-note";
  note.textContent = MENTIONS.mentionsYou;
  node.querySelector(".meta .author")?.after(" ", note);
}
