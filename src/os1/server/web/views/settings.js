// The account (and signing out), the companion as it chose itself, API keys for other programs, and for an
// administrator the server's accounts.

import { get, post, put, remove } from "../api.js";
import { busy, h } from "../dom.js";
import { confirmAction } from "../dialog.js";
import { count, date, moment } from "../format.js";

export function settingsView(root, app) {
  const { user, companion } = app.state;
  const page = h(
    "section",
    { class: "page settings" },
    h("h1", { text: "Settings" }),
    account(app, user),
    about(companion),
    keys(companion.name),
  );
  if (user.admin) page.append(accounts(user));
  root.append(page);
}

function panel(title, ...children) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

function facts(...pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]),
  );
}

function account(app, user) {
  const signOut = h("button", { type: "button", class: "quiet", text: "Sign out" });
  const error = h("p", { class: "form-error", role: "alert" });
  signOut.addEventListener("click", () =>
    busy(signOut, "Signing out…", async () => {
      try {
        await post("/api/logout");
        app.signedOut("You are signed out. See you soon.");
      } catch (failure) {
        error.textContent = failure.message;
      }
    }),
  );
  return panel(
    "Account",
    facts(
      ["Email", user.email],
      ["Member since", date(user.created_at)],
      ["Role", user.admin ? "Administrator" : "Member"],
    ),
    error,
    h("div", { class: "actions" }, signOut),
  );
}

function about(companion) {
  return panel(
    companion.name,
    h("p", { class: "voice why", text: companion.why }),
    facts(
      ["Chose this name", `${date(companion.created_at)}, from ${count(companion.names_considered)} given names`],
      ["Character", companion.traits.join(", ")],
      ["Voice", companion.voice],
    ),
  );
}

function keys(name) {
  const list = h("ul", { class: "rows" });
  const shown = h("div", { class: "secret", hidden: true, role: "status" });
  const label = h("input", { id: "key-name", maxlength: 80, placeholder: "e.g. laptop", autocomplete: "off" });
  const make = h("button", { type: "submit", class: "primary", text: "Create key" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "inline" },
    h("div", { class: "field" }, h("label", { for: "key-name", text: "Name for a new key" }), label),
    make,
  );

  function row(key) {
    const revoke = h("button", {
      type: "button",
      class: "link danger",
      text: "Revoke",
      "aria-label": `Revoke the key “${key.name}”`,
    });
    const used = key.last_used_at ? `last used ${moment(key.last_used_at)}` : "never used";
    const li = h(
      "li",
      {},
      h(
        "div",
        {},
        h("p", { class: "row-title", text: key.name }),
        h("p", { class: "meta", text: `Made ${date(key.created_at)} · ${used}` }),
      ),
      revoke,
    );
    revoke.addEventListener("click", async () => {
      const sure = await confirmAction({
        title: `Revoke “${key.name}”?`,
        body: "Programs using this key will no longer be able to talk with you here.",
        confirm: "Revoke",
      });
      if (!sure) return;
      try {
        await remove(`/api/keys/${encodeURIComponent(key.id)}`);
        li.remove();
        empty();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    return li;
  }

  function empty() {
    if (!list.childElementCount) list.append(h("li", { class: "faint empty", text: "No keys yet." }));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    await busy(make, "Creating…", async () => {
      try {
        const made = await post("/api/keys", { name: label.value.trim() || "key" });
        list.querySelector(".empty")?.remove();
        list.append(row(made.key));
        label.value = "";
        reveal(shown, made.secret, name);
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
  });

  get("/api/keys").then(
    (answer) => {
      list.append(...answer.keys.map(row));
      empty();
    },
    (failure) => {
      error.textContent = failure.message;
    },
  );
  return panel(
    "API keys",
    h("p", {
      class: "lede",
      text: `A key lets another program talk with ${name} as you, through any OpenAI-compatible client.`,
    }),
    list,
    shown,
    form,
    error,
  );
}

function reveal(shown, secret, name) {
  const field = h("input", { id: "key-secret", readonly: true, value: secret, spellcheck: "false" });
  const copy = h("button", { type: "button", class: "quiet", text: "Copy" });
  const copied = h("span", { class: "faint", "aria-live": "polite" });
  copy.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = "Copied.";
    } catch {
      copied.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
  });
  const base = `${window.location.origin}/v1`;
  shown.replaceChildren(
    h("p", { class: "row-title", text: "Your new key. Copy it now: it will not be shown again." }),
    h(
      "div",
      { class: "inline" },
      h("label", { for: "key-secret", class: "visually-hidden", text: "New API key" }),
      field,
      copy,
    ),
    copied,
    h(
      "p",
      { class: "meta" },
      "Use it in an OpenAI-compatible client with the base URL ",
      h("code", { text: base }),
      ` and the model “os1”: ${name} answers.`,
    ),
  );
  shown.hidden = false;
  field.focus();
  field.select();
}

function accounts(me) {
  const list = h("ul", { class: "rows" });
  const error = h("p", { class: "form-error", role: "alert" });
  const email = h("input", { id: "new-email", type: "email", required: true, maxlength: 254, autocomplete: "off" });
  const password = h("input", {
    id: "new-password",
    type: "password",
    required: true,
    minlength: 8,
    maxlength: 1024,
    autocomplete: "new-password",
  });
  const admin = h("input", { id: "new-admin", type: "checkbox" });
  const add = h("button", { type: "submit", class: "primary", text: "Add account" });
  const form = h(
    "form",
    { class: "stack add-account", novalidate: true },
    h("h3", { text: "Add an account" }),
    h("div", { class: "field" }, h("label", { for: "new-email", text: "Email" }), email),
    h(
      "div",
      { class: "field" },
      h("label", { for: "new-password", text: "Password" }),
      password,
      h("p", { class: "hint", text: "At least 8 characters. Give it to them privately." }),
    ),
    h("label", { class: "check" }, admin, " Administrator"),
    h("div", { class: "actions" }, add),
  );

  function row(user) {
    const state = h("p", { class: "meta" });
    const toggle = h("button", { type: "button", class: "link" });
    const li = h("li", {}, h("div", {}, h("p", { class: "row-title", text: user.email }), state));
    const show = () => {
      const role = user.admin ? "Administrator" : "Member";
      state.textContent = `${role} · since ${date(user.created_at)}${user.disabled ? " · disabled" : ""}`;
      toggle.textContent = user.disabled ? "Enable" : "Disable";
      toggle.setAttribute("aria-label", `${toggle.textContent} ${user.email}`);
      li.classList.toggle("past", user.disabled);
    };
    if (user.id !== me.id) li.append(toggle);
    toggle.addEventListener("click", async () => {
      try {
        const answer = await put(`/api/admin/users/${encodeURIComponent(user.id)}/disabled`, {
          disabled: !user.disabled,
        });
        Object.assign(user, answer.user);
        show();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    show();
    return li;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!email.value.trim() || !password.value) {
      error.textContent = "Enter an email and a password for the new account.";
      return;
    }
    await busy(add, "Adding…", async () => {
      try {
        const made = await post("/api/admin/users", {
          email: email.value.trim(),
          password: password.value,
          admin: admin.checked,
        });
        list.append(row(made.user));
        form.reset();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
  });

  get("/api/admin/users").then(
    (answer) => list.append(...answer.users.map(row)),
    (failure) => {
      error.textContent = failure.message;
    },
  );
  return panel(
    "Accounts on this server",
    h("p", {
      class: "lede",
      text: "As the administrator you can add, disable and enable accounts. You never see anyone's conversations or memories.",
    }),
    list,
    error,
    form,
  );
}
