// Every sentence the room page's scripts show or say, in one place: the modules import what
// they need from here, so the wording can be reviewed (and one day translated) without
// reading the logic around it. The server-rendered template holds the rest.
//
// Plain strings for fixed text; functions for text built from values.

// ---- The connection (status line above the log) ----

export const CONNECTION = {
  connected: "Connected",
  connectedAgain: "Connected again.",
  offline: "Offline. Messages you send will go out when you are back online.",
  backOnline: "Back online. Reconnecting…",
  busy: "The server is busy. Reconnecting…",
  restarting: "The server is restarting. Reconnecting…",
  tooMany: "Too many connections: close other Parley tabs. Reconnecting…",
  lost: "Connection lost. Reconnecting…",
  stopped: "Disconnected.",
  signedOut: "You are signed out.",
  logInAgain: "Log in again",
  forbidden: "You are not allowed in this room.",
  noRoom: "This room does not exist any more.",
};

// ---- Why the composer is closed (above the composer) ----

export const BLOCKED = {
  stopped: "Messages cannot be sent from this page any more.",
  archived: "This room is archived: it can be read, not written in.",
  locked: "This room is locked: it can be read, not written in.",
  readOnly: "This room is read-only.",
  muted: "You are muted in this room.",
};

// "You are muted in this room until <when>: <reason>." (either part may be missing)
export function mutedUntil(when, reason) {
  let text = "You are muted in this room";
  if (when) text += ` until ${when}`;
  return text + (reason ? `: ${reason}` : ".");
}

export const roomTitle = (name) => `${name} · Parley`;

// ---- Sending (the composer and the messages waiting in the outbox) ----

export const SENDING = {
  queued: "Waiting for the connection…",
  sent: "Sending…",
  error: "Not sent",
  notSent: "The message was not sent.",
  retry: "Retry",
  discard: "Discard",
};

export const sendingTooFast = (seconds) => `Sending too fast; retrying in ${seconds} s.`;
export const notSentOver = (count) => `Not sent: ${count}.`;

// The character count under the composer.
const characters = (count) => (count === 1 ? "character" : "characters");
export const charactersLeft = (left) => `${left} ${characters(left)} left`;
export const charactersOver = (over, max) =>
  `${over} ${characters(over)} over the limit of ${max}`;

// ---- The log ----

export const LOG = {
  deleted: "This message was deleted.",
  hidden: "This message was hidden by a moderator.",
  deletedAccount: "Deleted account",
  edited: "(edited)",
  copyLink: "Copy link",
  linkCopied: "Link copied",
  copyThisLink: "Copy this link",
  edit: "Edit",
  delete: "Delete",
  loadingOlder: "Loading earlier messages…",
  beginning: "This is the beginning of the room.",
  limited: "Older messages are no longer kept.",
  olderFailed: "Earlier messages could not be loaded. ",
  loadingNewer: "Loading newer messages…",
  newerFailed: "Newer messages could not be loaded. ",
  tryAgain: "Try again",
  // The line above the first message not read yet when the room opened.
  newMessagesLine: "New messages",
};

export const editedAt = (when) => `Edited ${when}`;

// The button at the bottom of the log.
export const PILL = {
  newMessages: "New messages",
  latest: "Jump to latest",
};

// Day separators in the log (days.js); other days are dates in the person's own format.
export const DAYS = {
  today: "Today",
  yesterday: "Yesterday",
};

// ---- Editing and deleting one's own messages ----

export const ACTIONS = {
  editLabel: "Edit message",
  save: "Save",
  cancel: "Cancel",
  notConnected: "Not connected; try again in a moment.",
  deleteQuestion: "Delete this message?",
  deleteForEveryone: "Delete for everyone",
  keep: "Keep",
  failed: "That did not work.",
};

// ---- What a screen reader hears (announcer.js) ----

export const SPOKEN = {
  newBelow: "New messages below. Press Escape to jump to the latest.",
  you: "You",
};

export const spokenBatch = (count) => `${count} new messages.`;
export const spokenMessage = (who, body) => `${who}: ${body}`;

// ---- Searching the room ----

export const SEARCH = {
  searching: "Searching…",
};

export const searchFailed = (detail) => `The search failed: ${detail}`;
export const searchNothing = (query) => `Nothing found for “${query}”.`;
export const searchFound = (count, more) =>
  `${count}${more ? "+" : ""} message${count === 1 ? "" : "s"} found.`;

// ---- The unread count in the tab's title, and "My rooms" ----

// "(3) Room · Parley"; a title that had a count gets the new one (or none).
export function titleWithCount(title, count) {
  const bare = title.replace(/^\(\d+\+?\) /, "");
  return count > 0 ? `(${count}) ${bare}` : bare;
}

export const MY_ROOMS = {
  unreadTitle: "Unread messages",
  mentionsTitle: "Mentions of you",
};

// What a screen reader hears after a room's name in the list (the badges are not read).
export function roomCounts(unread, mentions) {
  const parts = [];
  if (unread > 0) parts.push(`${unread} unread ${unread === 1 ? "message" : "messages"}`);
  if (mentions > 0) parts.push(`${mentions} ${mentions === 1 ? "mention" : "mentions"} of you`);
  return parts.length ? `, ${parts.join(", ")}` : "";
}

// ---- People in the room: who is here, who is typing, mentions ----

export const PEOPLE = {
  you: "(you)",
};

export const peopleHere = (count) => `${count} ${count === 1 ? "person" : "people"} here`;

// "alice is typing…", "alice and bob are typing…", "3 people are typing…". The names are
// passed in as they should appear (typing.js gives elements, so that a name written right
// to left cannot reorder the sentence around it).
export function typingLine(names) {
  if (names.length === 0) return [];
  if (names.length === 1) return [names[0], " is typing…"];
  if (names.length === 2) return [names[0], " and ", names[1], " are typing…"];
  return [`${names.length} people are typing…`];
}

export const MENTIONS = {
  mentionsYou: "Mentions you",
  notify: "Notify me of mentions",
  notifyBlocked: "Notifications blocked",
  notifyBlockedHint:
    "This browser blocks notifications from Parley: allow them in its site settings.",
};

export const spokenMention = (who, body) => `${who}, mentioning you: ${body}`;
export const mentionedYou = (who, room) => `${who} mentioned you in ${room}`;
export const mentionChoices = (count) =>
  `${count} ${count === 1 ? "person" : "people"} to mention. ` +
  "Up and down arrows to choose, Enter to pick.";
