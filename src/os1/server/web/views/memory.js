// What the companion remembers: every memory, searchable, each with where it came from; the person can
// correct one, forget one for good, download everything, or bring in old conversations (os1's format, a
// ChatGPT export, or a download from here), which the companion then reads for memories in the background.

import { get, patch, post, query, remove } from "../api.js";
import { busy, h, submitOnEnter } from "../dom.js";
import { date, moment, plural } from "../format.js";
import { confirmAction } from "../dialog.js";

const SEARCH_PAUSE_MS = 300;
const READING_POLL_MS = 3000;
const KINDS = {
  fact: "Fact",
  preference: "Preference",
  relationship: "Relationship",
  event: "Event",
  episode: "Moment",
  reflection: "Reflection",
};

export function memoryView(root, app) {
  const name = app.state.companion.name;
  const search = h("input", {
    id: "memory-search",
    type: "search",
    placeholder: "Search memories",
    autocomplete: "off",
    maxlength: 500,
  });
  const past = h("input", { id: "memory-past", type: "checkbox" });
  const summary = h("p", { class: "summary", role: "status" });
  const list = h("ul", { class: "memories" });
  const file = h("input", { id: "memory-import", type: "file", accept: ".json,application/json", hidden: true });
  const bringIn = h("button", { type: "button", class: "link", text: "Bring in old conversations" });
  const reading = h("p", { class: "summary reading", role: "status" });
  root.append(
    h(
      "section",
      { class: "page memory" },
      h("h1", { text: `What ${name} remembers` }),
      h("p", {
        class: "lede",
        text: `Everything ${name} knows about you came from your conversations. Correct what is wrong; forget what you would rather ${name} did not know.`,
      }),
      h(
        "div",
        { class: "toolbar" },
        h("label", { for: "memory-search", class: "visually-hidden", text: "Search memories" }),
        search,
        h("label", { class: "check" }, past, " Include what is no longer true"),
        h(
          "div",
          { class: "toolbar-links" },
          bringIn,
          file,
          h("a", {
            class: "link",
            href: "/api/export",
            download: "os1-export.json",
            text: "Download everything (JSON)",
          }),
        ),
      ),
      reading,
      summary,
      list,
    ),
  );

  let asked = 0; // answers to older requests are dropped
  async function show() {
    const q = search.value.trim();
    const mine = ++asked;
    try {
      const found = await get(`/api/memories${query({ q, past: past.checked })}`);
      if (mine !== asked) return;
      list.replaceChildren(...found.memories.map((memory) => item(memory, name, summarise)));
      summarise(q);
    } catch (error) {
      if (mine === asked) summary.textContent = error.message;
    }
  }

  function summarise(q = search.value.trim()) {
    const n = list.children.length;
    if (q && n) summary.textContent = `${plural(n, "memory matches", "memories match")} “${q}”.`;
    else if (q) summary.textContent = `Nothing matches “${q}”.`;
    else if (n) summary.textContent = plural(n, "memory", "memories");
    else
      summary.textContent = `Nothing yet. As you talk, ${name} will remember what matters, and it will show up here.`;
  }

  let pause = 0;
  search.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(show, SEARCH_PAUSE_MS);
  });
  past.addEventListener("change", show);

  let poll = 0;
  async function follow(brought = "") {
    clearTimeout(poll);
    try {
      const { waiting } = await get("/api/import");
      if (waiting) {
        reading.textContent = `${brought}${name} is reading ${plural(waiting, "message", "messages")} for memories.`;
        poll = setTimeout(() => follow(brought), READING_POLL_MS);
      } else {
        reading.textContent = brought ? `${brought}${name} has read them all.` : "";
        if (brought) show();
      }
    } catch (error) {
      reading.textContent = error.message;
    }
  }

  bringIn.addEventListener("click", () => file.click());
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    file.value = "";
    if (!chosen) return;
    await busy(bringIn, "Bringing them in…", async () => {
      reading.textContent = `Bringing in ${chosen.name}…`;
      try {
        const done = await post("/api/import", chosen);
        const told = done.memories ? ` and ${plural(done.memories, "memory", "memories")}` : "";
        follow(`Brought in ${plural(done.conversations, "conversation", "conversations")}${told}. `);
        if (done.memories) show();
      } catch (error) {
        reading.textContent = `${chosen.name}: ${error.message}`;
      }
    });
  });

  show();
  follow();
  return () => {
    clearTimeout(pause);
    clearTimeout(poll);
  };
}

function item(memory, name, summarise) {
  const text = h("p", { class: "memory-text", text: memory.text });
  const meta = h("p", { class: "meta", text: describe(memory) });
  const source = h("div", { class: "source", hidden: true, id: `source-${memory.id}` });
  const why = h("button", {
    type: "button",
    class: "link",
    text: "Where this came from",
    "aria-expanded": "false",
    "aria-controls": source.id,
  });
  const edit = h("button", { type: "button", class: "link", text: "Edit", "aria-label": `Edit “${memory.text}”` });
  const forget = h("button", {
    type: "button",
    class: "link danger",
    text: "Forget",
    "aria-label": `Forget “${memory.text}”`,
  });
  const actions = h("div", { class: "actions" }, why, edit, forget);
  const li = h("li", { class: memory.valid_to ? "memory-item past" : "memory-item" }, text, meta, actions, source);

  why.addEventListener("click", async () => {
    const open = why.getAttribute("aria-expanded") === "true";
    why.setAttribute("aria-expanded", String(!open));
    source.hidden = open;
    if (open || source.childElementCount) return;
    try {
      const { said } = await get(`/api/memories/${memory.id}`);
      source.replaceChildren(
        ...(said.length
          ? said.map((turn) => quote(turn, name))
          : [h("p", { class: "faint", text: "The conversation it came from is no longer kept." })]),
      );
    } catch (error) {
      source.replaceChildren(h("p", { class: "form-error", text: error.message }));
    }
  });

  edit.addEventListener("click", () => {
    const field = h("textarea", { id: `edit-${memory.id}`, rows: 2, maxlength: 2000, value: memory.text });
    const error = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "submit", class: "primary", text: "Save" });
    const cancel = h("button", { type: "button", class: "quiet", text: "Cancel" });
    const form = h(
      "form",
      { class: "edit stack" },
      h("label", { for: field.id, class: "visually-hidden", text: "Memory" }),
      field,
      error,
      h("div", { class: "actions" }, cancel, save),
    );
    const close = () => {
      form.replaceWith(text, meta, actions);
      edit.focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const words = field.value.trim();
      if (!words) {
        error.textContent = "A memory needs some words. To remove it, use Forget.";
        return;
      }
      await busy(save, "Saving…", async () => {
        try {
          const { memory: saved } = await patch(`/api/memories/${memory.id}`, { text: words });
          Object.assign(memory, saved);
          text.textContent = saved.text;
          meta.textContent = describe(saved);
          edit.setAttribute("aria-label", `Edit “${saved.text}”`);
          forget.setAttribute("aria-label", `Forget “${saved.text}”`);
          close();
        } catch (failure) {
          error.textContent = failure.message;
        }
      });
    });
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (event) => event.key === "Escape" && close());
    submitOnEnter(field);
    text.replaceWith(form);
    meta.remove();
    actions.remove();
    field.focus();
  });

  forget.addEventListener("click", async () => {
    const sure = await confirmAction({
      title: "Forget this for good?",
      body:
        `“${memory.text}” will be erased${memory.kind === "episode" ? "" : ", with the messages it came from,"} ` +
        `and ${name} will not remember it again. This cannot be undone.`,
      confirm: "Forget",
      cancel: "Keep it",
    });
    if (!sure) {
      forget.focus();
      return;
    }
    try {
      await remove(`/api/memories/${memory.id}`);
      const next = li.nextElementSibling ?? li.previousElementSibling;
      li.remove();
      summarise();
      (next?.querySelector("button") ?? document.getElementById("memory-search")).focus();
    } catch (error) {
      meta.textContent = error.message;
    }
  });
  return li;
}

function describe(memory) {
  const parts = [KINDS[memory.kind] ?? memory.kind];
  if (memory.valid_from) parts.push(`since ${date(memory.valid_from)}`);
  if (memory.valid_to) parts.push(`no longer true since ${date(memory.valid_to)}`);
  return parts.join(" · ");
}

function quote(turn, name) {
  const who = turn.speaker === "user" ? "You said" : `${name} said`;
  return h(
    "figure",
    { class: "quote" },
    h("blockquote", { text: turn.forgotten ? "(forgotten)" : turn.text }),
    h("figcaption", { text: `${who}, ${moment(turn.at)}` }),
  );
}
