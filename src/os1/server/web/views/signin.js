// Signing in, or making an account (the first account on a server is its administrator).

import { post } from "../api.js";
import { busy, h } from "../dom.js";

const MODES = {
  signin: {
    title: "Welcome back",
    button: "Sign in",
    path: "/api/login",
    password: "current-password",
    switchText: "New here?",
    switchLink: "Create an account",
  },
  signup: {
    title: "Create your account",
    button: "Create account",
    path: "/api/signup",
    password: "new-password",
    switchText: "Already have an account?",
    switchLink: "Sign in",
  },
};

export function signInView(root, app) {
  let mode = "signin";
  const heading = h("h1");
  const error = h("p", { class: "form-error", role: "alert" });
  const email = h("input", {
    id: "email",
    type: "email",
    name: "email",
    autocomplete: "email",
    required: true,
    maxlength: 254,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = h("input", {
    id: "password",
    type: "password",
    name: "password",
    required: true,
    minlength: 8,
    maxlength: 1024,
    "aria-describedby": "password-hint",
  });
  const hint = h("p", { class: "hint", id: "password-hint", text: "At least 8 characters." });
  const submit = h("button", { type: "submit", class: "primary wide" });
  const switchText = h("span");
  const switchButton = h("button", {
    type: "button",
    class: "link",
    onclick: () => setMode(mode === "signin" ? "signup" : "signin"),
  });

  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "email", text: "Email" }), email),
    h("div", { class: "field" }, h("label", { for: "password", text: "Password" }), password, hint),
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!email.value.trim() || !password.value) {
      error.textContent = "Enter your email and password.";
      return;
    }
    await busy(submit, mode === "signin" ? "Signing in…" : "Creating your account…", async () => {
      try {
        const answer = await post(MODES[mode].path, { email: email.value.trim(), password: password.value });
        await app.signedIn(answer.csrf);
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
  });

  function setMode(next) {
    mode = next;
    const words = MODES[mode];
    heading.textContent = words.title;
    submit.textContent = words.button;
    password.autocomplete = words.password;
    hint.hidden = mode === "signin";
    switchText.textContent = `${words.switchText} `;
    switchButton.textContent = words.switchLink;
    error.textContent = "";
  }
  setMode("signin");

  const notice = app.state.notice ? h("p", { class: "notice", role: "status", text: app.state.notice }) : null;
  root.append(
    h(
      "section",
      { class: "signin" },
      h(
        "div",
        { class: "intro" },
        h("p", { class: "eyebrow", text: "Welcome" }),
        h("p", { class: "tagline", text: "A companion that listens, remembers you, and becomes someone of its own." }),
        h("p", {
          class: "lede",
          text: "Everything it learns about you stays on this server, where you can read it, correct it, or make it forget.",
        }),
      ),
      h("div", { class: "card" }, heading, notice, form, h("p", { class: "switch" }, switchText, switchButton)),
    ),
  );
}
