// The web app's entry: who is signed in, which page to show (hash routes), and the header.
//   #/signin   signing in or making an account
//   #/welcome  the interview, and the companion choosing its name
//   #/chat     talking
//   #/memory   what the companion remembers
//   #/settings account, companion, API keys, and for an administrator the accounts

import { ApiError, get, setCsrf } from "./api.js";
import { focusHeading, h } from "./dom.js";
import { chatView } from "./views/chat.js";
import { memoryView } from "./views/memory.js";
import { settingsView } from "./views/settings.js";
import { signInView } from "./views/signin.js";
import { welcomeView } from "./views/welcome.js";

const VIEWS = { signin: signInView, welcome: welcomeView, chat: chatView, memory: memoryView, settings: settingsView };
const TITLES = { signin: "Sign in", welcome: "Welcome", chat: "Talk", memory: "Memory", settings: "Settings" };
const COMPANION_PAGES = ["chat", "memory", "settings"];

const main = document.getElementById("main");
const nav = document.querySelector(".nav");
const brandName = document.getElementById("brand-name");
const state = { user: null, companion: null, notice: "" };
let leave = null; // the shown view's clean-up (closing its connection, timers)

const app = {
  state,
  go(name) {
    if (window.location.hash === `#/${name}`) show(name);
    else window.location.hash = `#/${name}`;
  },
  /** The companion is here (after the naming). */
  meet(companion) {
    state.companion = companion;
    updateHeader(currentRoute());
  },
  /** After signing in or up: learn the rest from GET /api/me, then go where the account belongs. */
  async signedIn(csrf) {
    setCsrf(csrf);
    await load();
    route();
  },
  signedOut(notice = "") {
    setCsrf(null);
    Object.assign(state, { user: null, companion: null, notice });
    app.go("signin");
  },
};

function currentRoute() {
  return window.location.hash.replace(/^#\/?/, "");
}

async function load() {
  try {
    const me = await get("/api/me");
    setCsrf(me.csrf);
    Object.assign(state, { user: me.user, companion: me.companion, notice: "" });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    Object.assign(state, { user: null, companion: null });
  }
}

function route() {
  const asked = currentRoute();
  let target = asked;
  if (!state.user) target = "signin";
  else if (!state.companion) target = "welcome";
  else if (!COMPANION_PAGES.includes(asked)) target = "chat";
  if (target !== asked) window.history.replaceState(null, "", `#/${target}`);
  show(target);
}

function show(name) {
  leave?.();
  leave = null;
  updateHeader(name);
  document.body.dataset.route = name;
  document.title = state.companion ? `${TITLES[name]} · ${state.companion.name}` : `${TITLES[name]} · OS1`;
  main.replaceChildren();
  leave = VIEWS[name](main, app) ?? null;
  if (name !== "chat") focusHeading(main);
}

function updateHeader(name) {
  brandName.textContent = state.companion?.name ?? "OS1";
  nav.hidden = !(state.user && state.companion);
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

window.addEventListener("hashchange", route);
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault(); // "#main" is not a page
  main.focus();
});
window.addEventListener("os1:signed-out", (event) => {
  if (state.user) app.signedOut(event.detail);
});

load()
  .then(route)
  .catch((error) => main.replaceChildren(h("p", { class: "loading", role: "alert", text: error.message })));
