// The account (signing out, the password, leaving for good), the companion as it chose itself, API keys for
// other programs, and for an administrator the server's accounts.

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
    password(),
  );
  if (user.admin) page.append(accounts(user));
  page.append(leave(app, companion.name));
  root.append(page);
  // How it feels changes with time and what is said: ask again, and show it as it is now.
  const shown = page.querySelector(".about");
  get("/api/me")
    .then((me) => {
      if (!me.companion) return;
      app.state.companion = me.companion;
      shown.replaceWith(about(me.companion));
    })
    .catch(() => {}); // what was shown stays
}

function panel(title, ...children) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

function facts(...pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.flatMap(([term, value]) => [
      h("dt", { text: term }),
      typeof value === "string" ? h("dd", { text: value }) : h("dd", {}, value),
    ]),
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

function secretField(id, label, autocomplete) {
  const input = h("input", { id, type: "password", required: true, maxlength: 1024, autocomplete });
  return [input, h("div", { class: "field" }, h("label", { for: id, text: label }), input)];
}

function password() {
  const [current, currentField] = secretField("current-password", "Current password", "current-password");
  const [fresh, freshField] = secretField("fresh-password", "New password", "new-password");
  fresh.minLength = 8;
  const change = h("button", { type: "submit", class: "primary", text: "Change password" });
  const said = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    currentField,
    freshField,
    h("div", { class: "actions" }, change),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said.textContent = "";
    said.classList.remove("done");
    if (!current.value || fresh.value.length < 8) {
      said.textContent = "Enter your current password, and a new one of at least 8 characters.";
      return;
    }
    await busy(change, "Changing…", async () => {
      try {
        await post("/api/password", { current: current.value, new: fresh.value });
        form.reset();
        said.classList.add("done");
        said.textContent = "Your password is changed. Anywhere else you were signed in, you are signed out.";
      } catch (failure) {
        said.textContent = failure.message;
      }
    });
  });
  return panel("Password", form, said);
}

function leave(app, name) {
  const [secret, secretRow] = secretField("leave-password", "Your password, to confirm", "current-password");
  const erase = h("button", { type: "submit", class: "danger", text: "Delete my account" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { class: "stack", novalidate: true }, secretRow, h("div", { class: "actions" }, erase));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!secret.value) {
      error.textContent = "Enter your password to confirm.";
      return;
    }
    const sure = await confirmAction({
      title: "Delete your account?",
      body: `Everything ${name} holds goes with it, and cannot be brought back.`,
      confirm: "Delete everything",
    });
    if (!sure) return;
    await busy(erase, "Deleting…", async () => {
      try {
        await remove("/api/me", { password: secret.value });
        app.signedOut("Your account is deleted, and everything in it.");
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
  });
  return panel(
    "Delete your account",
    h(
      "p",
      { class: "lede" },
      `This deletes your account and everything ${name} holds: your conversations, its memories of you, its ` +
        "diary and the name it chose. There is no undo. To keep a copy, ",
      h("a", { href: "/api/export", download: "", text: "export your memory" }),
      " first.",
    ),
    form,
    error,
  );
}

// The companion as /who tells it: its name and why, how it feels and why, its character and how it has changed
// with you, and the interests it has grown from your talks.
function about(companion) {
  const rows = [
    ["Chose this name", `${date(companion.created_at)}, from ${count(companion.names_considered)} given names`],
  ];
  if (companion.mood) rows.push(["Feels", `${companion.mood.phrase}: ${companion.mood.why}`]);
  rows.push(["Character", companion.traits.join(", ")]);
  const changes = companion.trait_changes ?? [];
  if (changes.length) {
    const items = changes.map((change) => {
      const grew = `${date(change.at)}: ${change.change === "stronger" ? "more" : "less"} ${change.trait}`;
      const why = change.why ? ` — “${change.why}”` : " (the reason went with a memory you had it forget)";
      return h("li", { text: grew + why });
    });
    const met = h("li", { text: `When you met: ${companion.traits_at_setup.join(", ")}` });
    rows.push(["Has grown", h("ul", { class: "grown" }, met, items)]);
  }
  const interests = companion.interests ?? [];
  if (interests.length) {
    const items = interests.map((i) => h("li", { text: `${i.topic} (since ${date(i.since)}) — “${i.why}”` }));
    rows.push(["Its own interests", h("ul", { class: "grown" }, items)]);
  }
  rows.push(["Voice", companion.voice]);
  const shown = panel(companion.name, h("p", { class: "voice why", text: companion.why }), facts(...rows));
  shown.classList.add("about");
  return shown;
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
    const renew = h("button", { type: "button", class: "link", text: "New password" });
    renew.setAttribute("aria-label", `Give ${user.email} a new password`);
    const given = h("p", { class: "secret meta", hidden: true, role: "status" });
    li.firstChild.append(given);
    if (user.id !== me.id) li.append(h("div", { class: "row-actions" }, renew, toggle));
    renew.addEventListener("click", async () => {
      const sure = await confirmAction({
        title: `A new password for ${user.email}?`,
        body: "Their old password stops working and they are signed out everywhere. You will see the new one once, to give them privately.",
        confirm: "Make a new password",
      });
      if (!sure) return;
      const fresh = newPassword();
      try {
        await put(`/api/admin/users/${encodeURIComponent(user.id)}/password`, { password: fresh });
        given.replaceChildren("New password: ", h("code", { text: fresh }), " (shown once)");
        given.hidden = false;
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
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
      text: "As the administrator you can add, disable and enable accounts, and give someone a new password. You never see anyone's conversations or memories.",
    }),
    list,
    error,
    form,
  );
}

/** A random password of 16 letters and digits (for someone who lost theirs). */
function newPassword() {
  const letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no look-alikes: l, 1, O, 0
  return Array.from(crypto.getRandomValues(new Uint32Array(16)), (n) => letters[n % letters.length]).join("");
}
