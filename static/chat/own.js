// What a person does to messages in the log: copy a link to any message, edit or delete
// their own (docs/protocol.md: message.edit, message.delete). Each edit or delete carries a
// client_id of its own, so the ack or error that answers it finds its way back here.
import { ACTIONS, LOG } from "./wording.js";

export class MessageActions {
  constructor({ list, log, socket, newClientId }) {
    this.list = list;
    this.log = log;
    this.socket = socket;
    this.newClientId = newClientId;
    this.waiting = new Map(); // client_id -> {seq, kind: edit|delete, body}
    list.addEventListener("click", (event) => this.clicked(event));
    // From the keyboard, Enter on a focused message reaches its actions: they join the Tab
    // order until focus leaves the message. Otherwise Tab goes from a message straight on
    // (to the message box), never through every message's links.
    list.addEventListener("keydown", (event) => {
      const node = event.target;
      if (!node.matches?.("li[data-seq]")) return;
      // Up and Down move between messages (over the day separators and the "New
      // messages" line, which are not focusable), so any message's actions can be reached.
      const step = { ArrowUp: "previousElementSibling", ArrowDown: "nextElementSibling" };
      const next = step[event.key] ? focusableSibling(node, step[event.key]) : null;
      if (next) {
        event.preventDefault();
        next.focus();
        return;
      }
      if (event.key !== "Enter") return;
      const first = node.querySelector(".msg-actions > *");
      if (!first) return;
      event.preventDefault();
      tabbable(node, true);
      first.focus();
    });
    list.addEventListener("focusout", (event) => {
      const node = event.target.closest("li[data-seq]");
      if (node && !node.contains(event.relatedTarget)) tabbable(node, false);
    });
  }

  clicked(event) {
    const control = event.target.closest("[data-action]");
    const node = control?.closest("li[data-seq]");
    if (!node) return;
    const seq = Number(node.dataset.seq);
    switch (control.dataset.action) {
      case "copy-link":
        event.preventDefault();
        this.copyLink(control);
        break;
      case "edit":
        this.startEdit(node, seq);
        break;
      case "delete":
        this.askDelete(node, seq);
        break;
      case "confirm-delete":
        this.sendDelete(node, seq);
        break;
      case "keep":
        node.querySelector(".confirm")?.remove();
        node.querySelector("[data-action=delete]")?.focus();
        break;
      default:
        break;
    }
  }

  async copyLink(link) {
    try {
      await navigator.clipboard.writeText(link.href);
      link.textContent = LOG.linkCopied;
    } catch {
      // No clipboard (an insecure origin, or permission refused): the link is still an
      // ordinary link to copy from the context menu.
      link.textContent = LOG.copyThisLink;
    }
    setTimeout(() => {
      link.textContent = LOG.copyLink;
    }, 2000);
  }

  // ---- Editing ----

  startEdit(node, seq) {
    const item = this.log.items.get(seq);
    if (!item || node.querySelector("form.edit")) return;
    const form = document.createElement("form");
    form.className = "edit";
    form.noValidate = true;
    const box = document.createElement("textarea");
    box.dir = "auto";
    box.rows = 2;
    box.value = item.message.body;
    box.setAttribute("aria-label", ACTIONS.editLabel);
    const save = button(ACTIONS.save, "submit", "small primary");
    const cancel = button(ACTIONS.cancel, "button", "small link");
    const problem = document.createElement("p");
    problem.className = "problem";
    problem.setAttribute("role", "alert");
    form.append(box, save, " ", cancel, problem);
    node.querySelector(".body").hidden = true;
    node.querySelector(".msg-actions").hidden = true;
    node.append(form);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);

    const finish = () => this.endEdit(node);
    cancel.addEventListener("click", finish);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendEdit(node, seq, box.value.trim(), form);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault(); // cancels the edit only, not a jump to the latest message
        finish();
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  endEdit(node) {
    node.querySelector("form.edit")?.remove();
    const body = node.querySelector(".body");
    if (body) body.hidden = false;
    const actions = node.querySelector(".msg-actions");
    if (actions) actions.hidden = false;
    node.focus?.();
  }

  sendEdit(node, seq, body, form) {
    const item = this.log.items.get(seq);
    if (!item) return;
    if (!body || body === item.message.body) {
      this.endEdit(node);
      return;
    }
    const clientId = this.newClientId();
    const sent = this.socket.send({
      type: "message.edit",
      id: item.message.id,
      body,
      client_id: clientId,
    });
    if (!sent) {
      form.querySelector(".problem").textContent = ACTIONS.notConnected;
      return;
    }
    form.querySelector("button[type=submit]").disabled = true;
    this.waiting.set(clientId, { seq, kind: "edit", body });
  }

  // ---- Deleting ----

  askDelete(node, seq) {
    if (node.querySelector(".confirm")) return;
    const confirm = document.createElement("div");
    confirm.className = "confirm";
    confirm.setAttribute("role", "group");
    confirm.setAttribute("aria-label", ACTIONS.deleteQuestion);
    const yes = button(ACTIONS.deleteForEveryone, "button", "small danger");
    yes.dataset.action = "confirm-delete";
    const keep = button(ACTIONS.keep, "button", "small link");
    keep.dataset.action = "keep";
    confirm.append(`${ACTIONS.deleteQuestion} `, yes, " ", keep);
    node.append(confirm);
    yes.focus();
  }

  sendDelete(node, seq) {
    const item = this.log.items.get(seq);
    if (!item) return;
    const clientId = this.newClientId();
    if (this.socket.send({ type: "message.delete", id: item.message.id, client_id: clientId })) {
      this.waiting.set(clientId, { seq, kind: "delete" });
      node.querySelector("[data-action=confirm-delete]").disabled = true;
    } else {
      node.querySelector(".confirm").textContent = ACTIONS.notConnected;
    }
  }

  // ---- Answers from the server ----

  // An ack or error frame: true when it answered one of this module's edits or deletes.
  settle(frame) {
    const waiting = this.waiting.get(frame.client_id);
    if (!waiting) return false;
    this.waiting.delete(frame.client_id);
    const item = this.log.items.get(waiting.seq);
    if (!item) return true;
    if (frame.type === "ack") {
      // The message.edited broadcast may come before or after this: either way the log
      // shows the new body now.
      if (item.message.body !== waiting.body || !item.message.edited_at) {
        this.log.replace({ ...item.message, body: waiting.body, edited_at: new Date().toISOString() });
      }
      this.endEdit(this.log.items.get(waiting.seq).node);
      return true;
    }
    const detail = frame.detail || ACTIONS.failed;
    if (waiting.kind === "edit") {
      const form = item.node.querySelector("form.edit");
      if (form) {
        form.querySelector(".problem").textContent = detail;
        form.querySelector("button[type=submit]").disabled = false;
      }
    } else {
      const confirm = item.node.querySelector(".confirm");
      if (confirm) confirm.textContent = detail;
    }
    return true;
  }
}

function focusableSibling(node, step) {
  let next = node[step];
  while (next && !next.classList.contains("msg")) next = next[step];
  return next;
}

function tabbable(node, yes) {
  for (const control of node?.querySelectorAll(".msg-actions > *") ?? []) {
    control.tabIndex = yes ? 0 : -1;
  }
}

function button(text, type, className) {
  const node = document.createElement("button");
  node.type = type;
  node.className = className;
  node.textContent = text;
  return node;
}
